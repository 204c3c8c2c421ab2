package host_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// TestClassifyNoAllocs: a one-flow Classify with context.Background on a
// compiled tier (default and top-tier module, SIMD and MVP) loaded
// WithoutInterrupt makes no allocation; loaded with the interrupt on (the
// default) it makes wazero's per-call watcher's (3 on the top tier; the
// count is logged, and must not be 0: else WithoutInterrupt is moot).
func TestClassifyNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test compiles top-tier modules with wazero (seconds); run without -short, as make test and .ci/run do")
	}
	m := randModel(t, rand.New(rand.NewPCG(1, 2)), shapeKDD)
	rows := benchRows(m)
	nf := len(m.Schema.Features)
	ctx := context.Background()
	for _, tier := range []struct {
		name string
		opts []compiler.CompileOption
	}{
		{"default", nil},
		{"top", []compiler.CompileOption{compiler.TopTier()}},
		{"top-mvp", []compiler.CompileOption{compiler.TopTier(), compiler.WithoutSIMD()}},
	} {
		bin := compile(t, m, tier.opts...)
		for _, c := range []struct {
			name string
			opts []host.Option
			zero bool
		}{{"no-interrupt", []host.Option{host.WithoutInterrupt()}, true}, {"interrupt", nil, false}} {
			t.Run(tier.name+"/"+c.name, func(t *testing.T) {
				mod := load(t, bin, c.opts...)
				out := make([]model.Result, 1)
				j := 0
				allocs := testing.AllocsPerRun(200, func() {
					j = (j + 1) % 1024
					if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
						t.Fatal(err)
					}
				})
				t.Logf("%v allocations per one-flow Classify", allocs)
				if (allocs == 0) != c.zero {
					t.Errorf("%v allocations per one-flow Classify, want zero: %v", allocs, c.zero)
				}
			})
		}
	}
}

// TestWithoutInterruptDoneContext: WithoutInterrupt still refuses a call
// whose context is done (before the module runs), with the context's
// error, and the module serves the next call.
func TestWithoutInterruptDoneContext(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(1, 2)), shapeKDD)
	mod := load(t, compile(t, m, compiler.TopTier()), host.WithoutInterrupt())
	rows := benchRows(m)[:len(m.Schema.Features)]
	out := make([]model.Result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := mod.Classify(ctx, rows, out); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %v, want context.Canceled", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), -time.Second)
	defer dcancel()
	if err := mod.Classify(dctx, rows, out); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past deadline: %v, want context.DeadlineExceeded", err)
	}
	if err := mod.Classify(context.Background(), rows, out); err != nil {
		t.Fatal(err)
	}
	var want model.Result
	if err := m.Predict(rows, &want); err != nil {
		t.Fatal(err)
	}
	if out[0].Class != want.Class {
		t.Fatalf("class %d, native %d", out[0].Class, want.Class)
	}
}

// BenchmarkHostCall: one flow per call on the top tier, interleaved every
// 64 calls between the module loaded with the interrupt (wazero's
// watcher goroutine per call) and WithoutInterrupt, each with
// context.Background and with a context carrying a deadline (made once,
// outside the loop: the deadline's own cost is the caller's). Ratios
// against "interrupt/background", the default. The order of the four
// changes every 64 calls (a mode run after the other module pays its
// cache misses).
func BenchmarkHostCall(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run(sh.name, func(b *testing.B) {
			m := randModel(b, rand.New(rand.NewPCG(1, 2)), sh.s)
			rows := benchRows(m)
			bin := compile(b, m, compiler.TopTier())
			mods := []*host.Module{load(b, bin), load(b, bin, host.WithoutInterrupt())}
			dl, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			ctxs := []context.Context{context.Background(), dl}
			names := []string{"interrupt/background", "interrupt/deadline", "nointerrupt/background", "nointerrupt/deadline"}
			nf := len(m.Schema.Features)
			out := make([]model.Result, 1)
			var spent [4]time.Duration
			// each block of 64 calls runs the modes in one of 64 random
			// orders: no mode always follows a switch of module
			pr := rand.New(rand.NewPCG(5, 6))
			perms := make([][]int, 64)
			for p := range perms {
				perms[p] = pr.Perm(len(spent))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += 64 {
				for _, k := range perms[(i/64)%len(perms)] {
					mod, ctx := mods[k/2], ctxs[k%2]
					start := time.Now()
					for r := i; r < min(i+64, b.N); r++ {
						j := r % 1024
						if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
							b.Fatal(err)
						}
					}
					spent[k] += time.Since(start)
				}
			}
			for k, name := range names {
				b.ReportMetric(float64(spent[k].Nanoseconds())/float64(b.N), name+"-ns/flow")
				if k > 0 {
					b.ReportMetric(float64(spent[k])/float64(spent[0]), name+"/default")
				}
			}
		})
	}
}

// TestTopWithoutInterruptAllocs: after a tier-up to the top tier loaded
// WithTopWithoutInterrupt, a one-flow Classify makes no allocation; the
// same tier-up without it keeps the interrupt (and its allocations).
func TestTopWithoutInterruptAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test compiles top-tier modules with wazero (seconds); run without -short, as make test and .ci/run do")
	}
	m := randModel(t, rand.New(rand.NewPCG(1, 2)), shapeKDD)
	rows := benchRows(m)
	nf := len(m.Schema.Features)
	bin, top := compile(t, m), compile(t, m, compiler.TopTier())
	ctx := context.Background()
	for _, c := range []struct {
		name string
		opts []host.Option
		zero bool
	}{
		{"top-without-interrupt", []host.Option{host.WithTierUp(top), host.WithTopWithoutInterrupt()}, true},
		{"top-interrupt", []host.Option{host.WithTierUp(top)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			mod := load(t, bin, c.opts...)
			out := make([]model.Result, 1)
			if err := mod.Classify(ctx, rows[:nf], out); err != nil {
				t.Fatal(err)
			}
			select {
			case <-mod.TierUpDone():
			case <-time.After(60 * time.Second):
				t.Fatal("no tier-up in 60 s")
			}
			if err := mod.TierUpErr(); err != nil || mod.Tier() != host.TierTop {
				t.Fatalf("tier %q, err %v", mod.Tier(), err)
			}
			j := 0
			allocs := testing.AllocsPerRun(200, func() {
				j = (j + 1) % 1024
				if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
					t.Fatal(err)
				}
			})
			t.Logf("%v allocations per one-flow Classify", allocs)
			if (allocs == 0) != c.zero {
				t.Errorf("%v allocations per one-flow Classify, want zero: %v", allocs, c.zero)
			}
		})
	}
}
