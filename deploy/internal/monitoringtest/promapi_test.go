package monitoringtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// promAPI is a client of the Prometheus HTTP API (/api/v1).
type promAPI struct{ base string }

// apiResponse is the envelope of every /api/v1 answer.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

// sample is one series of a vector or matrix result.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`  // instant: [ts, "v"]
	Values [][]any           `json:"values"` // range: [[ts, "v"], ...]
}

// last is the series' latest value (NaN when none).
func (s sample) last() float64 {
	v := s.Value
	if len(s.Values) > 0 {
		v = s.Values[len(s.Values)-1]
	}
	if len(v) != 2 {
		return 0
	}
	str, _ := v[1].(string)
	f, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return 0
	}
	return f
}

func (p promAPI) get(ctx context.Context, path string, q url.Values, out any) error {
	u := p.base + "/api/v1/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	status, body, err := httpGet(ctx, u)
	if err != nil {
		return err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d: %s", path, status, tail(string(body), 500))
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, r.ErrorType, r.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

// result is the data of a query answer.
type result struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// series decodes a vector or matrix result; a scalar gives one series
// without labels.
func (r result) series() ([]sample, error) {
	switch r.ResultType {
	case "vector", "matrix":
		var s []sample
		err := json.Unmarshal(r.Result, &s)
		return s, err
	case "scalar":
		var v []any
		err := json.Unmarshal(r.Result, &v)
		return []sample{{Value: v}}, err
	}
	return nil, fmt.Errorf("result type %s", r.ResultType)
}

// query evaluates expr now.
func (p promAPI) query(ctx context.Context, expr string) ([]sample, error) {
	var r result
	if err := p.get(ctx, "query", url.Values{"query": {expr}}, &r); err != nil {
		return nil, err
	}
	return r.series()
}

// queryRange evaluates expr over the last span, every step, as a Grafana
// panel does.
func (p promAPI) queryRange(ctx context.Context, expr string, span, step time.Duration) ([]sample, error) {
	end := time.Now()
	q := url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(end.Add(-span).Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	var r result
	if err := p.get(ctx, "query_range", q, &r); err != nil {
		return nil, err
	}
	return r.series()
}

// names are every metric name Prometheus holds.
func (p promAPI) names(ctx context.Context) ([]string, error) {
	var out []string
	err := p.get(ctx, "label/__name__/values", nil, &out)
	return out, err
}

// ruleGroups is the data of /api/v1/rules.
type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Name      string `json:"name"`
			Query     string `json:"query"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
			Type      string `json:"type"`
		} `json:"rules"`
	} `json:"groups"`
}

func (p promAPI) rules(ctx context.Context) (ruleGroups, error) {
	var g ruleGroups
	err := p.get(ctx, "rules", nil, &g)
	return g, err
}

// exemplarSeries is one series of /api/v1/query_exemplars.
type exemplarSeries struct {
	SeriesLabels map[string]string `json:"seriesLabels"`
	Exemplars    []struct {
		Labels map[string]string `json:"labels"`
		Value  string            `json:"value"`
	} `json:"exemplars"`
}

func (p promAPI) exemplars(ctx context.Context, expr string, span time.Duration) ([]exemplarSeries, error) {
	end := time.Now()
	q := url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(end.Add(-span).Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
	}
	var out []exemplarSeries
	err := p.get(ctx, "query_exemplars", q, &out)
	return out, err
}
