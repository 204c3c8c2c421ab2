package host_test

import (
	"context"
	"fmt"
	"math"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// stump is a one-split model: protocol "udp" is an attack.
func stump() *model.Model {
	return &model.Model{
		Format: model.FormatVersion,
		Schema: model.Schema{Features: []model.Feature{
			{Name: "bytes", Kind: model.Numeric},
			{Name: "proto", Kind: model.Categorical, Categories: []string{"tcp", "udp"}, Unknown: model.UnknownError},
		}},
		Classes: []string{"benign", "attack"},
		Benign:  []int{0},
		Ensemble: model.Ensemble{
			Objective: model.Logistic, Outputs: 1, BaseScore: []float32{0},
			Trees: []model.Tree{{
				Output: 0, Feature: []int32{1, -1, -1}, Threshold: []float32{0, 0, 0},
				Op: []model.Op{model.InSet, 0, 0}, DefaultLeft: []bool{true, false, false},
				Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Value: []float32{0, -3, 3},
				CatBegin: []int32{0, -1, -1}, CatBits: []uint32{2, 0b01}, // {tcp} goes left
			}},
		},
		Meta: model.Metadata{Name: "stump", TrainerVersion: "example"},
	}
}

func ExampleCompile() {
	b, err := compiler.Compile(stump())
	if err != nil {
		fmt.Println(err)
		return
	}
	md, err := abi.ReadMetadata(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("abi:", md.ABI, "name:", md.Name, "classes:", md.Classes)
	// Output:
	// abi: 1 name: stump classes: [benign attack]
}

func ExampleLoad() {
	ctx := context.Background()
	b, _ := compiler.Compile(stump())
	mod, err := host.Load(ctx, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mod.Close(ctx)

	rows := []float32{
		100, 0, // tcp
		100, 1, // udp
		100, float32(math.NaN()), // protocol missing: default left
	}
	out := make([]model.Result, 3)
	if err := mod.Classify(ctx, rows, out); err != nil {
		fmt.Println(err)
		return
	}
	classes := mod.Metadata().Classes
	for _, r := range out {
		fmt.Printf("%s %.3f %v\n", classes[r.Class], r.Probability(), r.Verdict)
	}
	r, err := mod.ClassifyRecord(ctx, map[string]any{"bytes": 40, "proto": "udp"})
	fmt.Println(classes[r.Class], err)
	_, err = mod.ClassifyRecord(ctx, map[string]any{"proto": "icmp"})
	fmt.Println(err)
	// Output:
	// benign 0.953 benign
	// attack 0.953 malicious
	// benign 0.953 benign
	// attack <nil>
	// wasm: classify: unknown category "icmp" for feature "proto"
}
