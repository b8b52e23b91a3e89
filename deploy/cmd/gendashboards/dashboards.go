package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// board is one dashboard and the file it is written to.
type board struct {
	file string
	b    *dashboard.DashboardBuilder
}

// boards are every dashboard, in file order.
func boards() []board {
	return []board{
		{"mtproxy-overview.json", withState(overview())},
		{"mtproxy-reachability.json", reachability()},
		{"mtproxy-upstream.json", upstream()},
		{"mtproxy-host.json", host()},
	}
}

// newBoard starts a dashboard with the shared variables (datasource, job,
// instance, traces), links to its siblings and a 30 s refresh.
func newBoard(uid, title, desc string, extra ...cog.Builder[dashboard.VariableModel]) *dashboard.DashboardBuilder {
	vars := []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Prometheus").
			Type("prometheus"),
		labelVar("job", "Job", "mtproxy_build_info", "job", false),
		labelVar("instance", "Instance", `mtproxy_build_info{job=~"$job"}`, "instance", true),
	}
	vars = append(vars, extra...)
	vars = append(vars, dashboard.NewDatasourceVariableBuilder("traces").
		Label("Traces").
		Description("Where the latency panels' exemplars and links lead (the compose stack provisions Jaeger).").
		Type("jaeger"))
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(desc).
		Tags([]string{"mtproxy"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("30s").
		Time("now-3h", "now").
		Timezone(common.TimeZoneBrowser).
		Variables(vars).
		Link(dashboard.NewDashboardLinkBuilder("mtproxy").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"mtproxy"}).
			AsDropdown(false).
			IncludeVars(true).
			KeepTime(true))
}

// labelVar is a query variable over the values of label in the series of
// selector; multi makes it a multi-select with "All" (matching any value).
func labelVar(name, label, selector, labelName string, multi bool) cog.Builder[dashboard.VariableModel] {
	def := "label_values(" + selector + ", " + labelName + ")"
	b := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(promDS()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(def)}).
		Definition(def).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if multi {
		b.Multi(true).IncludeAll(true).AllValue(".+")
	}
	return b
}
