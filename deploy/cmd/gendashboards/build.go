package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import (
	"net/url"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// The datasource variables. No datasource uid is ever written into a
// dashboard: the compose stack provisions uids "prometheus" and "jaeger",
// but a fleet's Grafana has its own.
const (
	datasourceVar = "${datasource}"
	tracesVar     = "${traces}"
	// tracesService is the service.name the proxy's spans carry by default
	// (tracing.DefaultServiceName).
	tracesService = "mtproxy"
	// rateWindow is the only range a query may use: Grafana widens it to
	// at least four scrape intervals.
	rateWindow = "$__rate_interval"
)

// promDS is the Prometheus datasource of every panel and query.
func promDS() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(datasourceVar)}
}

// sel is the selector of metric on the chosen job and instances, with any
// extra label matchers (`result="ok"`).
func sel(metric string, matchers ...string) string {
	all := append([]string{`job=~"$job"`, `instance=~"$instance"`}, matchers...)
	return metric + "{" + strings.Join(all, ", ") + "}"
}

// rate is the per-second rate of counter metric over $__rate_interval.
func rate(metric string, matchers ...string) string {
	return "rate(" + sel(metric, matchers...) + "[" + rateWindow + "])"
}

// quantile is the q-quantile of histogram metric (its base name), keeping
// the labels of by.
func quantile(q, metric, by string, matchers ...string) string {
	group := "le"
	if by != "" {
		group = by + ", le"
	}
	return "histogram_quantile(" + q + ", sum by (" + group + ") (" + rate(metric+"_bucket", matchers...) + "))"
}

// query is one PromQL target of a panel.
type query struct {
	expr   string
	legend string
	// exemplar asks Prometheus for the exemplars of the series (latency
	// histograms: each carries the trace id of the observed event).
	exemplar bool
	// instant evaluates at the end of the range only (tables).
	instant bool
	// heatmap returns the buckets as a heatmap frame.
	heatmap bool
}

// q is a range query with a legend.
func q(expr, legend string) query { return query{expr: expr, legend: legend} }

func (x query) target(i int) *prometheus.DataqueryBuilder {
	b := prometheus.NewDataqueryBuilder().
		Datasource(promDS()).
		RefId(string(rune('A' + i))).
		Expr(x.expr).
		LegendFormat(x.legend)
	switch {
	case x.instant:
		b.Instant().Format(prometheus.PromQueryFormatTable)
	case x.heatmap:
		b.Range().Format(prometheus.PromQueryFormatHeatmap)
	default:
		b.Range()
	}
	if x.exemplar {
		b.Exemplar(true)
	}
	return b
}

// tracesLink is the panel link of latency panels: the proxy's traces in
// Explore, on the ${traces} datasource.
func tracesLink() cog.Builder[dashboard.DashboardLink] {
	const placeholder = "TRACESDATASOURCE"
	panes := `{"traces":{"datasource":"` + placeholder + `","queries":[{"refId":"A","queryType":"search","service":"` +
		tracesService + `"}],"range":{"from":"now-1h","to":"now"}}}`
	u := "/explore?schemaVersion=1&panes=" + url.QueryEscape(panes)
	u = strings.Replace(u, placeholder, tracesVar, 1)
	return dashboard.NewDashboardLinkBuilder("Traces of " + tracesService).
		Type(dashboard.DashboardLinkTypeLink).
		Url(u).
		TargetBlank(true)
}

// hasExemplars reports whether any query of qs asks for exemplars.
func hasExemplars(qs []query) bool {
	for _, x := range qs {
		if x.exemplar {
			return true
		}
	}
	return false
}

// Panel sizes on the 24-column grid.
const (
	halfWidth  = 12
	thirdWidth = 8
	statWidth  = 6
	graphH     = 8
	statH      = 4
)

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		DisplayMode(common.LegendDisplayModeTable).
		Placement(common.LegendPlacementBottom).
		ShowLegend(true).
		Calcs([]string{"mean", "lastNotNull", "max"})
}

func thresholds(steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

// step is a threshold step; the first step of a scale has no value.
func step(color string, from ...float64) dashboard.Threshold {
	t := dashboard.Threshold{Color: color}
	if len(from) > 0 {
		t.Value = cog.ToPtr(from[0])
	}
	return t
}

// idPanels numbers every panel, rows and the panels inside them, in order.
func idPanels(d *dashboard.Dashboard) {
	id := uint32(1)
	for _, p := range d.Panels {
		switch {
		case p.Panel != nil:
			p.Panel.Id = cog.ToPtr(id)
			id++
		case p.RowPanel != nil:
			p.RowPanel.Id = id
			id++
			for i := range p.RowPanel.Panels {
				p.RowPanel.Panels[i].Id = cog.ToPtr(id)
				id++
			}
		}
	}
}
