package host_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

// bitsEqual fails t unless got is want bit for bit on every row.
func bitsEqual(t testing.TB, what string, want, got []answer) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d answers, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		w, g := want[i], got[i]
		ok := w.class == g.class && w.verdict == g.verdict && math.Float64bits(w.score) == math.Float64bits(g.score) && len(w.probs) == len(g.probs)
		for j := 0; ok && j < len(w.probs); j++ {
			ok = math.Float64bits(w.probs[j]) == math.Float64bits(g.probs[j])
		}
		if !ok {
			if bad++; bad <= 3 {
				t.Errorf("%s: row %d: class %d verdict %v score %v probs %v, want %d %v %v %v", what, i, g.class, g.verdict, g.score, g.probs, w.class, w.verdict, w.score, w.probs)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows differ", what, bad, len(want))
	}
}

// TestTiersSameBits: the tiers a tier-up moves between answer with the
// same bits: the module on the interpreter, on the compiler, and the
// TopTier module on the compiler, over 2,000 random rows of every shape.
func TestTiersSameBits(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, 14))
			m := randModel(t, r, s)
			b := compile(t, m)
			top := compile(t, m, compiler.TopTier())
			rows := randRows(r, m, 2000)
			interp := wasmAnswers(t, load(t, b, host.WithInterpreter()), rows)
			bitsEqual(t, "compiler vs interpreter", interp, wasmAnswers(t, load(t, b), rows))
			bitsEqual(t, "top tier vs interpreter", interp, wasmAnswers(t, load(t, top), rows))
		})
	}
}

// tierUpModel is a model of some size with a detector and categories.
func tierUpModel(t testing.TB, seed uint64) *model.Model {
	t.Helper()
	return randModel(t, rand.New(rand.NewPCG(seed, 5)), shape{features: 8, categorical: true, classes: 4, trees: 40, depth: 6, vector: true, outlier: true, log1p: true})
}

// TestTierUpUnderLoad: callers classify without pause while the module
// tiers up from the interpreter to the TopTier module on the compiler;
// every call is answered, with the bits the compiler tier gives, on the
// first tier and on the second.
func TestTierUpUnderLoad(t *testing.T) {
	for _, name := range []string{"same module", "top tier", "top tier made on the tier-up's goroutine"} {
		t.Run(name, func(t *testing.T) {
			m := tierUpModel(t, 3)
			b := compile(t, m)
			opt, wantTier := host.WithTierUp(nil), host.TierCompiler
			switch name {
			case "top tier":
				opt, wantTier = host.WithTierUp(compile(t, m, compiler.TopTier())), host.TierTop
			case "top tier made on the tier-up's goroutine":
				opt, wantTier = host.WithTierUpFunc(func() ([]byte, error) { return compiler.Compile(m, compiler.TopTier()) }), host.TierTop
			}
			r := rand.New(rand.NewPCG(8, 8))
			rows := randRows(r, m, 64)
			nf := len(m.Schema.Features)
			want := wasmAnswers(t, load(t, b), rows)
			reports := make(chan host.TierUp, 1)
			mod := load(t, b, opt, host.WithTierUpReport(func(r host.TierUp) { reports <- r }))
			if got := mod.Tier(); got != host.TierInterpreter {
				t.Fatalf("first tier %q, want %q", got, host.TierInterpreter)
			}
			var calls, after atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 4 {
				wg.Go(func() {
					res := make([]model.Result, 4)
					for k := g; ; k++ {
						select {
						case <-stop:
							return
						default:
						}
						i := k % (len(want) - len(res))
						done := mod.TierUpErr() == nil && isClosed(mod.TierUpDone())
						if err := mod.Classify(context.Background(), rows[i*nf:(i+len(res))*nf], res); err != nil {
							errs <- err
							return
						}
						got := make([]answer, len(res))
						for j, x := range res {
							got[j] = answer{x.Class, x.Verdict, x.OutlierScore, x.Probabilities}
						}
						bitsEqual(t, "call during tier-up", want[i:i+len(res)], got)
						calls.Add(1)
						if done {
							after.Add(1)
						}
					}
				})
			}
			var rep host.TierUp
			select {
			case rep = <-reports:
			case <-time.After(30 * time.Second):
				t.Fatal("no tier-up in 30 s")
			}
			deadline := time.Now().Add(30 * time.Second)
			for after.Load() < 200 && len(errs) == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("a call failed: %v", err)
			}
			if after.Load() < 200 {
				t.Errorf("%d calls answered after the swap, want 200", after.Load())
			}
			if rep.Err != nil || rep.Tier != wantTier || rep.From != host.TierInterpreter || mod.Tier() != wantTier {
				t.Fatalf("tier-up %+v, serving %q; want %q from %q", rep, mod.Tier(), wantTier, host.TierInterpreter)
			}
			// Load's smoke test and the check of the second tier, then
			// the callers' calls
			if rep.FirstTierCalls < 4 {
				t.Errorf("the first tier served %d calls: the callers did not run on it", rep.FirstTierCalls)
			}
			t.Logf("%d calls, %d on the first tier (%d of them the host's), %d after the swap; compile %v, verify %v, swap %v after Load",
				calls.Load(), rep.FirstTierCalls, 2, after.Load(), rep.Compile, rep.Verify, rep.Since)
		})
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestTierUpMismatch: a top tier of another model, or of the same
// model's hash with other trees, is refused for the loaded module on the
// compiler.
func TestTierUpMismatch(t *testing.T) {
	m := tierUpModel(t, 3)
	b := compile(t, m)
	other := tierUpModel(t, 4) // same shape and schema, other trees
	changed := tierUpModel(t, 3)
	for i := range changed.Ensemble.Trees[0].Value {
		changed.Ensemble.Trees[0].Value[i] += 0.5
	}
	sha := load(t, b).Metadata().ModelSHA256
	cases := map[string][]byte{
		"another model": compile(t, other, compiler.TopTier()),
		// the metadata alike, the answers not
		"same hash, a tree changed": compile(t, changed, compiler.TopTier(), compiler.WithModelSHA256(sha)),
		"not a module of the model": []byte("\x00asm\x01\x00\x00\x00"),
	}
	for name, top := range cases {
		t.Run(name, func(t *testing.T) {
			reports := make(chan host.TierUp, 1)
			mod := load(t, b, host.WithTierUp(top), host.WithTierUpReport(func(r host.TierUp) { reports <- r }))
			rows := randRows(rand.New(rand.NewPCG(1, 1)), m, 16)
			want := nativeAnswers(t, m, rows)
			compare(t, "first call", want, wasmAnswers(t, mod, rows), rows, len(m.Schema.Features))
			rep := <-reports
			if rep.TopErr == nil || rep.Err != nil || rep.Tier != host.TierCompiler || mod.Tier() != host.TierCompiler || mod.TierUpErr() != nil {
				t.Fatalf("tier-up %+v, serving %q: want the top tier refused and the compiler serving", rep, mod.Tier())
			}
			if name != "not a module of the model" && !errors.Is(rep.TopErr, host.ErrTierMismatch) {
				t.Errorf("error %v, want ErrTierMismatch", rep.TopErr)
			}
			compare(t, "after the refusal", want, wasmAnswers(t, mod, rows), rows, len(m.Schema.Features))
		})
	}
}

// TestTierUpTopFails: when WithTierUpFunc cannot make the top tier, the
// loaded module on the compiler is the second tier.
func TestTierUpTopFails(t *testing.T) {
	m := tierUpModel(t, 3)
	b := compile(t, m)
	reports := make(chan host.TierUp, 1)
	failing := errors.New("no top tier today")
	mod := load(t, b, host.WithTierUpFunc(func() ([]byte, error) { return nil, failing }), host.WithTierUpReport(func(r host.TierUp) { reports <- r }))
	rows := randRows(rand.New(rand.NewPCG(1, 1)), m, 16)
	compare(t, "first call", nativeAnswers(t, m, rows), wasmAnswers(t, mod, rows), rows, len(m.Schema.Features))
	rep := <-reports
	if !errors.Is(rep.TopErr, failing) || rep.Err != nil || rep.Tier != host.TierCompiler {
		t.Fatalf("tier-up %+v: want the top tier's error and the compiler serving", rep)
	}
	compare(t, "after", nativeAnswers(t, m, rows), wasmAnswers(t, mod, rows), rows, len(m.Schema.Features))
}

// TestTierUpClose: Close during a tier-up stops it; the report says so.
func TestTierUpClose(t *testing.T) {
	b := compile(t, tierUpModel(t, 3))
	reports := make(chan host.TierUp, 1)
	mod, err := host.Load(context.Background(), b, host.WithTierUp(nil), host.WithTierUpReport(func(r host.TierUp) { reports <- r }))
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !isClosed(mod.TierUpDone()) {
		t.Fatal("Close returned before the tier-up ended")
	}
	if rep := <-reports; !errors.Is(rep.Err, context.Canceled) || rep.Tier != host.TierInterpreter {
		t.Errorf("tier-up %+v, want stopped (context.Canceled)", rep)
	}
}

// TestTierUpLoopingModule: a module that loops on a crafted row (it
// passes the smoke test) fails its tier-up within TierUpCallTimeout of
// the check reaching that row, instead of keeping a core busy, and the
// first tier serves on.
func TestTierUpLoopingModule(t *testing.T) {
	reports := make(chan host.TierUp, 1)
	mod := load(t, hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}), host.WithTierUp(nil), host.WithTierUpReport(func(r host.TierUp) { reports <- r }))
	var rep host.TierUp
	select {
	case rep = <-reports:
	case <-time.After(10 * time.Second):
		t.Fatal("the tier-up of a looping module has not ended in 10 s")
	}
	if !errors.Is(rep.Err, context.DeadlineExceeded) || mod.Tier() != host.TierInterpreter {
		t.Fatalf("tier-up %+v, serving %q: want a deadline and the interpreter serving", rep, mod.Tier())
	}
	if rep.Verify > 5*host.TierUpCallTimeout {
		t.Errorf("the check took %v", rep.Verify)
	}
	out := make([]model.Result, 1)
	if err := mod.Classify(context.Background(), make([]float32, mod.Features()), out); err != nil {
		t.Errorf("after the failed tier-up: %v", err)
	}
}
