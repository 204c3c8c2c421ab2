package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dashboardFile is the Grafana dashboard; exportedList is the list of the
// metric families a function exports, kept by functions' TestMetricsList
// against a live registry (so this check cannot go stale).
const (
	dashboardFile = "grafana/flowsense.json"
	exportedList  = "../functions/testdata/metrics.txt"
)

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"` // a collapsed row's panels
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Thresholds struct {
				Steps []struct {
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

// exported reads the list: "NAME TYPE" lines, # comments. A histogram
// family NAME is queried as NAME_bucket, NAME_sum and NAME_count.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(exportedList)
	if err != nil {
		t.Fatalf("%v (go test ./functions -run TestMetricsList -update writes it)", err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		name, typ, ok := strings.Cut(s, " ")
		if !ok {
			t.Fatalf("%s:%d: want NAME TYPE, got %q", exportedList, line, s)
		}
		names[name] = true
		if typ == "histogram" || typ == "summary" {
			names[name+"_sum"], names[name+"_count"] = true, true
			if typ == "histogram" {
				names[name+"_bucket"] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("%s lists no metrics", exportedList)
	}
	return names
}

func readDashboard(t *testing.T) *dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return &d
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// TestDashboardMetrics: every metric named in every PromQL expression of
// the dashboard (panel targets and template queries) is one the function
// exports, and every exported family is on some panel.
func TestDashboardMetrics(t *testing.T) {
	names := exported(t)
	d := readDashboard(t)
	used := map[string]bool{}
	check := func(where, expr string) {
		t.Helper()
		ms, err := metricNames(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		if len(ms) == 0 {
			t.Errorf("%s: %q names no metric", where, expr)
		}
		for _, m := range ms {
			if !names[m] {
				t.Errorf("%s: %q names %s, which the function does not export (%s)", where, expr, m, exportedList)
			}
			used[m] = true
		}
	}
	queries := 0
	for _, p := range allPanels(d.Panels) {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %d %q has no query", p.ID, p.Title)
		}
		for i, tg := range p.Targets {
			check(fmt.Sprintf("panel %d %q target %d", p.ID, p.Title, i), tg.Expr)
			queries++
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &q.Query); err != nil {
				t.Errorf("variable %s: query %s", v.Name, v.Query)
				continue
			}
		}
		check("variable "+v.Name, templateExpr(q.Query))
		queries++
	}
	if queries == 0 {
		t.Fatal("no queries in the dashboard")
	}
	for n := range names {
		family := n
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, suf); ok && names[base] {
				family = base
			}
		}
		if family != n {
			continue
		}
		if !used[n] && !used[n+"_bucket"] && !used[n+"_count"] && !used[n+"_sum"] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

// TestDashboardDriftThreshold: the drift panel marks PSI 0.2, the usual
// threshold of a significant shift.
func TestDashboardDriftThreshold(t *testing.T) {
	d := readDashboard(t)
	found := false
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			if !strings.Contains(tg.Expr, "flowsense_feature_drift_psi") {
				continue
			}
			for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
				if s.Value != nil && *s.Value == 0.2 {
					found = true
				}
			}
		}
	}
	if !found {
		t.Error("no panel of flowsense_feature_drift_psi has a threshold at 0.2")
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q title %q", d.UID, d.Title)
	}
}

// templateExpr is the PromQL of a Grafana template query: the metric
// selector of label_values(METRIC, LABEL), the argument of
// query_result(EXPR), or the query itself.
func templateExpr(q string) string {
	q = strings.TrimSpace(q)
	if inner, ok := strings.CutPrefix(q, "label_values("); ok {
		inner = strings.TrimSuffix(inner, ")")
		if i := strings.LastIndexByte(inner, ','); i >= 0 {
			return inner[:i]
		}
		return "" // label_values(LABEL): no metric
	}
	if inner, ok := strings.CutPrefix(q, "query_result("); ok {
		return strings.TrimSuffix(inner, ")")
	}
	return q
}

// promqlWords are the words of PromQL that are not metric names when not
// followed by "(": aggregation operators and modifiers, set and vector-matching
// operators, offset, bool.
var promqlWords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"and": true, "or": true, "unless": true, "offset": true, "bool": true, "atan2": true,
	"inf": true, "nan": true,
	// aggregation operators, which may be followed by a by/without clause
	// before their "(".
	"sum": true, "avg": true, "min": true, "max": true, "count": true, "group": true, "stddev": true,
	"stdvar": true, "topk": true, "bottomk": true, "quantile": true, "count_values": true,
	"limitk": true, "limit_ratio": true,
}

// labelListWords are the words after which a parenthesised list holds
// label names, not expressions.
var labelListWords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// metricNames returns the metric names a PromQL expression selects: the
// identifiers that are not functions (followed by "("), keywords, label
// names (inside {...} or a by/without/on/ignoring/group_* list), strings,
// numbers or durations. Grafana's $variables are taken as values.
func metricNames(expr string) ([]string, error) {
	var names []string
	i := 0
	n := len(expr)
	isStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	skipString := func(q byte) error {
		for i++; i < n; i++ {
			switch expr[i] {
			case '\\':
				i++
			case q:
				i++
				return nil
			}
		}
		return fmt.Errorf("unterminated string in %q", expr)
	}
	skipTo := func(open, close byte) error {
		depth := 0
		for i < n {
			switch c := expr[i]; {
			case c == '"' || c == '\'' || c == '`':
				if err := skipString(c); err != nil {
					return err
				}
				continue
			case c == open:
				depth++
			case c == close:
				depth--
				if depth == 0 {
					i++
					return nil
				}
			}
			i++
		}
		return fmt.Errorf("unbalanced %c in %q", open, expr)
	}
	for i < n {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			if err := skipString(c); err != nil {
				return nil, err
			}
		case c == '{':
			if err := skipTo('{', '}'); err != nil {
				return nil, err
			}
		case c == '[':
			if err := skipTo('[', ']'); err != nil {
				return nil, err
			}
		case c == '$': // a Grafana variable: $name or ${name}
			i++
			if i < n && expr[i] == '{' {
				if err := skipTo('{', '}'); err != nil {
					return nil, err
				}
				continue
			}
			for i < n && isPart(expr[i]) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < n && (isPart(expr[i]) || expr[i] == '.') {
				i++ // numbers, 1e3, 0x1f, durations 5m
			}
		case isStart(c):
			start := i
			for i < n && isPart(expr[i]) {
				i++
			}
			word := expr[start:i]
			j := i
			for j < n && (expr[j] == ' ' || expr[j] == '\t' || expr[j] == '\n') {
				j++
			}
			switch {
			case labelListWords[strings.ToLower(word)]:
				if j < n && expr[j] == '(' {
					i = j
					if err := skipTo('(', ')'); err != nil {
						return nil, err
					}
				}
			case promqlWords[strings.ToLower(word)]:
			case j < n && expr[j] == '(':
				// a function or an aggregation
			default:
				if !slices.Contains(names, word) {
					names = append(names, word)
				}
			}
		default:
			i++
		}
	}
	return names, nil
}

func TestMetricNames(t *testing.T) {
	cases := map[string]struct {
		expr string
		want []string
	}{
		"selector":         {`flowsense_predictions_total`, []string{"flowsense_predictions_total"}},
		"rate by":          {`sum by (class) (rate(flowsense_predictions_total{job=~"$job", class!="x(y"}[$__rate_interval]))`, []string{"flowsense_predictions_total"}},
		"by after":         {`sum(rate(a_total[5m])) by (le, endpoint)`, []string{"a_total"}},
		"quantile":         {`histogram_quantile(0.99, sum by (le) (rate(h_bucket[1m])))`, []string{"h_bucket"}},
		"binary":           {`sum(rate(h_sum[5m])) / on (job) group_left (x) sum(rate(h_count[5m])) > 0.2 and up`, []string{"h_sum", "h_count", "up"}},
		"offset and bool":  {`x offset 5m > bool 1e3`, []string{"x"}},
		"variable":         {`${datasource} + $job`, nil},
		"recording rule":   {`job:requests:rate5m`, []string{"job:requests:rate5m"}},
		"string with name": {`count_values("not_a_metric", m)`, []string{"m"}},
	}
	for name, tc := range cases {
		got, err := metricNames(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q gives %q, want %q", name, tc.expr, got, tc.want)
		}
	}
	if got := templateExpr(`label_values(flowsense_model_info{a="b"}, job)`); got != `flowsense_model_info{a="b"}` {
		t.Errorf("template query %q", got)
	}
	for _, bad := range []string{`x{a="b}`, `rate(x[5m)`, `"open`} {
		if _, err := metricNames(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzMetricNames: any expression gives names that are identifiers found
// in it, or an error; nothing panics.
func FuzzMetricNames(f *testing.F) {
	for _, s := range []string{`sum by (le) (rate(x_bucket{a="b"}[5m]))`, `x offset 5m`, `${a}`, `"`, `{`, `[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		names, err := metricNames(expr)
		if err != nil {
			return
		}
		for _, m := range names {
			if m == "" || !strings.Contains(expr, m) {
				t.Fatalf("%q gives name %q", expr, m)
			}
		}
	})
}

// promtool is Debian's prometheus package's checker; the tests below need it.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found: apt-get install prometheus (%v)", err)
	}
	return p
}

// dashboardExpr makes a panel's query a plain PromQL expression: the
// dashboard's variables replaced as Grafana would.
func dashboardExpr(e string) string {
	return strings.NewReplacer(`$job`, `.*`, `$__rate_interval`, `1m`, `$__interval`, `1m`, `$__range`, `1h`).Replace(e)
}

// TestDashboardQueriesParse: Prometheus itself parses every panel query
// (promtool check rules on a rule per query).
func TestDashboardQueriesParse(t *testing.T) {
	tool := promtool(t)
	d := readDashboard(t)
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	n := 0
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			q, _ := json.Marshal(dashboardExpr(tg.Expr))
			fmt.Fprintf(&rules, "  - record: panel_%d_query_%d\n    expr: %s\n", p.ID, n, q)
			n++
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestDashboardRollingAccuracy: the accuracy panel weighs each replica by
// the feedback it holds and leaves out a replica without any (its gauge is
// NaN, which would make a plain avg NaN): promtool test rules on two
// replicas, one with 100 items at 0.9, one just scaled up.
func TestDashboardRollingAccuracy(t *testing.T) {
	tool := promtool(t)
	d := readDashboard(t)
	var expr string
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			if strings.Contains(tg.Expr, "flowsense_feedback_rolling_accuracy") {
				expr = dashboardExpr(tg.Expr)
			}
		}
	}
	if expr == "" {
		t.Fatal("no panel shows flowsense_feedback_rolling_accuracy")
	}
	dir := t.TempDir()
	q, _ := json.Marshal(expr)
	rules := fmt.Sprintf("groups:\n- name: accuracy\n  rules:\n  - record: accuracy\n    expr: %s\n", q)
	test := `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'flowsense_feedback_rolling_accuracy{instance="a",job="fn"}'
    values: '0.9 0.9'
  - series: 'flowsense_feedback_window_items{instance="a",job="fn"}'
    values: '100 100'
  - series: 'flowsense_feedback_rolling_accuracy{instance="b",job="fn"}'
    values: 'NaN NaN'
  - series: 'flowsense_feedback_window_items{instance="b",job="fn"}'
    values: '0 0'
  promql_expr_test:
  - expr: accuracy
    eval_time: 1m
    exp_samples:
    - labels: 'accuracy'
      value: 0.9
`
	for name, body := range map[string]string{"rules.yml": rules, "test.yml": test} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(tool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
