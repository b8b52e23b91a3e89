package main

import (
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// graph is a half-width time series panel.
func graph(title, desc, unit string, qs ...query) *timeseries.PanelBuilder {
	b := timeseries.NewPanelBuilder().
		Title(title).Description(desc).Unit(unit).
		Datasource(promDS()).
		Height(graphH).Span(halfWidth).
		Min(0).
		FillOpacity(10).
		Legend(legend())
	for i, x := range qs {
		b.WithTarget(x.target(i))
	}
	if hasExemplars(qs) {
		b.Links([]cog.Builder[dashboard.DashboardLink]{tracesLink()})
	}
	return b
}

// stacked is graph with the series stacked (shares of one total).
func stacked(title, desc, unit string, qs ...query) *timeseries.PanelBuilder {
	return graph(title, desc, unit, qs...).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
}

// single is a stat panel showing the last value of each series.
func single(title, desc, unit string, qs ...query) *stat.PanelBuilder {
	b := stat.NewPanelBuilder().
		Title(title).Description(desc).Unit(unit).
		Datasource(promDS()).
		Height(statH).Span(statWidth).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeValue).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Thresholds(thresholds(step("green")))
	for i, x := range qs {
		b.WithTarget(x.target(i))
	}
	return b
}

// buckets is a heatmap of a histogram's buckets, with exemplars.
func buckets(title, desc, metric string) *heatmap.PanelBuilder {
	x := query{
		expr:     "sum by (le) (" + rate(metric+"_bucket") + ")",
		legend:   "{{le}}",
		exemplar: true,
		heatmap:  true,
	}
	return heatmap.NewPanelBuilder().
		Title(title).Description(desc).
		Datasource(promDS()).
		Height(graphH).Span(halfWidth).
		Calculate(false).
		YAxis(heatmap.NewYAxisConfigBuilder().Unit("s")).
		CellGap(1).
		ExemplarsColor("rgba(255,0,255,0.7)").
		Links([]cog.Builder[dashboard.DashboardLink]{tracesLink()}).
		WithTarget(x.target(0))
}

// state is how a timeline shows one value of its series.
type state struct {
	value       int
	text, color string
}

// upDown shows a 0/1 gauge as down/up.
var upDown = []state{{0, "down", "red"}, {1, "up", "green"}}

// middleDirect shows mtproxy_upstream_path{path="direct"} as the path.
var middleDirect = []state{{0, "middle", "green"}, {1, "direct", "orange"}}

// timeline is a state timeline of series whose values are codes of states.
func timeline(title, desc string, states []state, qs ...query) *statetimeline.PanelBuilder {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, st := range states {
		opts[strconv.Itoa(st.value)] = dashboard.ValueMappingResult{
			Text: cog.ToPtr(st.text), Color: cog.ToPtr(st.color), Index: cog.ToPtr(int32(i)),
		}
	}
	b := statetimeline.NewPanelBuilder().
		Title(title).Description(desc).
		Datasource(promDS()).
		Height(graphH).Span(halfWidth).
		ShowValue(common.VisibilityModeNever).
		MergeValues(true).
		Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
			Type:    dashboard.MappingTypeValueToText,
			Options: opts,
		}}})
	for i, x := range qs {
		b.WithTarget(x.target(i))
	}
	return b
}
