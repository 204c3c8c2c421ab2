package gbdt

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	cases := map[string]struct {
		edit  func(*Params)
		param string // "" for valid
	}{
		"defaults":              {func(p *Params) {}, ""},
		"per-class depth-wise":  {func(p *Params) { p.Multiclass, p.Growth, p.MaxDepth = MultiPerClass, GrowDepth, 6 }, ""},
		"explicit weights":      {func(p *Params) { p.ClassWeights = []float64{1, 2.5, 0} }, ""},
		"empty class weight":    {func(p *Params) { p.ClassWeight = "" }, ""},
		"zero rounds":           {func(p *Params) { p.Rounds = 0 }, "Rounds"},
		"zero learning rate":    {func(p *Params) { p.LearningRate = 0 }, "LearningRate"},
		"NaN learning rate":     {func(p *Params) { p.LearningRate = math.NaN() }, "LearningRate"},
		"negative depth":        {func(p *Params) { p.MaxDepth = -1 }, "MaxDepth"},
		"one leaf":              {func(p *Params) { p.MaxLeaves = 1 }, "MaxLeaves"},
		"unknown growth":        {func(p *Params) { p.Growth = "wide" }, "Growth"},
		"negative child weight": {func(p *Params) { p.MinChildWeight = -1 }, "MinChildWeight"},
		"zero child samples":    {func(p *Params) { p.MinChildSamples = 0 }, "MinChildSamples"},
		"negative lambda":       {func(p *Params) { p.Lambda = -0.1 }, "Lambda"},
		"infinite lambda":       {func(p *Params) { p.Lambda = math.Inf(1) }, "Lambda"},
		"negative split gain":   {func(p *Params) { p.MinSplitGain = -1 }, "MinSplitGain"},
		"zero subsample":        {func(p *Params) { p.Subsample = 0 }, "Subsample"},
		"subsample above one":   {func(p *Params) { p.Subsample = 1.5 }, "Subsample"},
		"NaN colsample":         {func(p *Params) { p.ColSample = math.NaN() }, "ColSample"},
		"one bin":               {func(p *Params) { p.MaxBins = 1 }, "MaxBins"},
		"too many bins":         {func(p *Params) { p.MaxBins = 70000 }, "MaxBins"},
		"negative cat smooth":   {func(p *Params) { p.CatSmooth = -1 }, "CatSmooth"},
		"unknown class weight":  {func(p *Params) { p.ClassWeight = "heavy" }, "ClassWeight"},
		"negative class weight": {func(p *Params) { p.ClassWeights = []float64{1, -1} }, "ClassWeights"},
		"unknown multiclass":    {func(p *Params) { p.Multiclass = "ovo" }, "Multiclass"},
		"negative patience":     {func(p *Params) { p.EarlyStopping = -1 }, "EarlyStopping"},
		"validation of one":     {func(p *Params) { p.ValidationFraction = 1 }, "ValidationFraction"},
		"negative threads":      {func(p *Params) { p.Threads = -2 }, "Threads"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := DefaultParams()
			c.edit(&p)
			err := p.Validate()
			if c.param == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) || !errors.Is(err, ErrParam) {
				t.Fatalf("Validate = %v, want a *ParamError wrapping ErrParam", err)
			}
			if pe.Param != c.param {
				t.Fatalf("error names %q, want %q (%v)", pe.Param, c.param, err)
			}
		})
	}
}

func TestParamsMap(t *testing.T) {
	p := DefaultParams()
	p.ClassWeights = []float64{1, 0.5}
	p.LearningRate = 0.25
	p.Seed = 42
	m := p.Map()
	for key, want := range map[string]string{
		"rounds":        strconv.Itoa(p.Rounds),
		"learning_rate": "0.25",
		"multiclass":    p.Multiclass,
		"class_weights": "1,0.5",
		"seed":          "42",
		"max_bins":      strconv.Itoa(p.MaxBins),
	} {
		if m[key] != want {
			t.Errorf("Map()[%q] = %q, want %q", key, m[key], want)
		}
	}
	if _, ok := m["threads"]; ok {
		t.Error("Map has threads, which never changes the model")
	}
}
