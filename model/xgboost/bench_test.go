package xgboost_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model/xgboost"
)

// BenchmarkRead_multi_60trees_depth4 converts the 3-class, 20-round
// testdata model (63 KB of JSON).
func BenchmarkRead_multi_60trees_depth4(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "multi.json"))
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, data)
}

// BenchmarkRead_softprob3_2000trees_depth8 converts a synthetic model of
// the size the wasm compiler is held to: 2,000 full trees of depth 8
// (1,022,000 nodes).
func BenchmarkRead_softprob3_2000trees_depth8(b *testing.B) {
	benchRead(b, synthDoc(2000, 8, 3, 40))
}

func benchRead(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := xgboost.Read(bytes.NewReader(data), xgboost.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSynthDoc checks the benchmark's generator makes a model Read takes.
func TestSynthDoc(t *testing.T) {
	m, err := xgboost.Read(bytes.NewReader(synthDoc(6, 3, 3, 5)), xgboost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Ensemble.Trees) != 6 || m.Ensemble.Trees[5].Len() != 15 || m.Ensemble.Trees[5].Output != 2 {
		t.Errorf("%d trees, last of %d nodes adding to class %d; want 6, 15, 2",
			len(m.Ensemble.Trees), m.Ensemble.Trees[5].Len(), m.Ensemble.Trees[5].Output)
	}
}

// synthDoc writes an XGBoost 1.7-style multi:softprob JSON model of
// `trees` full trees of the given depth, in XGBoost's node numbering
// (breadth first), with every per-node array XGBoost writes.
func synthDoc(trees, depth, classes, features int) []byte {
	var sb strings.Builder
	n := 1<<(depth+1) - 1
	arr := func(key string, f func(i int) string) {
		sb.WriteString(`"` + key + `":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(f(i))
		}
		sb.WriteString("],")
	}
	internal := func(i int) bool { return 2*i+1 < n }
	fmt.Fprintf(&sb, `{"version":[1,7,4],"learner":{"attributes":{},"feature_names":[],"feature_types":[],`+
		`"learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"%d","num_feature":"%d","num_target":"1"},`+
		`"objective":{"name":"multi:softprob","softmax_multiclass_param":{"num_class":"%d"}},`+
		`"gradient_booster":{"name":"gbtree","model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"%d","size_leaf_vector":"0"},"tree_info":[`,
		classes, features, classes, trees)
	for t := 0; t < trees; t++ {
		if t > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(t % classes))
	}
	sb.WriteString(`],"trees":[`)
	for t := 0; t < trees; t++ {
		if t > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('{')
		arr("base_weights", func(i int) string { return strconv.FormatFloat(float64(i%7)*0.1-0.3, 'g', -1, 32) })
		sb.WriteString(`"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],`)
		arr("default_left", func(i int) string { return strconv.Itoa((i + t) % 2) })
		fmt.Fprintf(&sb, `"id":%d,`, t)
		arr("left_children", func(i int) string {
			if internal(i) {
				return strconv.Itoa(2*i + 1)
			}
			return "-1"
		})
		arr("loss_changes", func(i int) string { return "1.5" })
		arr("parents", func(i int) string {
			if i == 0 {
				return "2147483647"
			}
			return strconv.Itoa((i - 1) / 2)
		})
		arr("right_children", func(i int) string {
			if internal(i) {
				return strconv.Itoa(2*i + 2)
			}
			return "-1"
		})
		arr("split_conditions", func(i int) string {
			return strconv.FormatFloat(float64((i*31+t*17)%97)*0.013-0.6, 'g', -1, 32)
		})
		arr("split_indices", func(i int) string {
			if internal(i) {
				return strconv.Itoa((i*7 + t) % features)
			}
			return "0"
		})
		arr("split_type", func(i int) string { return "0" })
		arr("sum_hessian", func(i int) string { return "10" })
		fmt.Fprintf(&sb, `"tree_param":{"num_deleted":"0","num_feature":"%d","num_nodes":"%d","size_leaf_vector":"0"}}`, features, n)
	}
	sb.WriteString(`]}}}}`)
	return []byte(sb.String())
}
