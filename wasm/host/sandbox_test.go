package host_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/host"
	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

// engines are the two wazero engines every sandbox test runs under.
var engines = map[string][]host.Option{
	"compiler":    nil,
	"interpreter": {host.WithInterpreter()},
}

// TestHostileModulesAreValid: the hand-made modules are well-formed
// WebAssembly (wabt agrees), so the refusals below are the sandbox's.
func TestHostileModulesAreValid(t *testing.T) {
	for name, s := range map[string]hostiletest.Spec{
		"answer":      {},
		"loop":        {Predict: hostiletest.Loop},
		"loop on >=1": {Predict: hostiletest.LoopOnPositive},
		"start loops": {StartLoops: true},
		"2 GiB":       {Pages: 32768},
		"trap":        {Predict: hostiletest.Trap},
	} {
		t.Run(name, func(t *testing.T) { validate(t, hostiletest.Module(s)) })
	}
}

func TestSandboxLoad(t *testing.T) {
	good := compile(t, randModel(t, rand.New(rand.NewPCG(1, 1)), shapes["categorical"]))
	corrupt, err := hostiletest.Corrupt(good, 0.5, 50)
	if err != nil {
		t.Fatal(err)
	}
	// without the digest, the smoke test is the net: inverted tree table
	// entries send the first row out of bounds
	undigested, err := hostiletest.Corrupt(hostiletest.StripDigest(good), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		b    []byte
		opts []host.Option
		want error // nil: loads
	}{
		"hand-made answers":           {b: hostiletest.Module(hostiletest.Spec{})},
		"loops only on a crafted row": {b: hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive})},
		"predict loops":               {b: hostiletest.Module(hostiletest.Spec{Predict: hostiletest.Loop}), opts: []host.Option{host.WithLoadTimeout(200 * time.Millisecond)}, want: abi.ErrSmoke},
		"start function loops":        {b: hostiletest.Module(hostiletest.Spec{StartLoops: true}), want: abi.ErrRefused},
		"declares 2 GiB":              {b: hostiletest.Module(hostiletest.Spec{Pages: 32768}), want: abi.ErrRefused},
		"over a 1 MiB limit":          {b: hostiletest.Module(hostiletest.Spec{Pages: 17}), opts: []host.Option{host.WithMemoryLimit(1 << 20)}, want: abi.ErrRefused},
		"at a 1 MiB limit":            {b: hostiletest.Module(hostiletest.Spec{Pages: 16}), opts: []host.Option{host.WithMemoryLimit(1 << 20)}},
		"answers out of range":        {b: hostiletest.Module(hostiletest.Spec{Predict: hostiletest.OutOfRange}), want: abi.ErrSmoke},
		"traps":                       {b: hostiletest.Module(hostiletest.Spec{Predict: hostiletest.Trap}), want: abi.ErrSmoke},
		"50 bytes of nodes inverted":  {b: corrupt, want: abi.ErrCorrupt},
		"no digest, stripped":         {b: hostiletest.StripDigest(good)},
		"no digest, table inverted":   {b: undigested, opts: []host.Option{host.WithLoadTimeout(500 * time.Millisecond)}, want: abi.ErrSmoke},
	}
	for ename, eopts := range engines {
		for name, tc := range tests {
			t.Run(ename+"/"+name, func(t *testing.T) {
				start := time.Now()
				mod, err := host.Load(context.Background(), tc.b, append(append([]host.Option(nil), eopts...), tc.opts...)...)
				took := time.Since(start)
				if tc.want == nil {
					if err != nil {
						t.Fatalf("Load: %v", err)
					}
					mod.Close(context.Background())
					return
				}
				if err == nil {
					mod.Close(context.Background())
					t.Fatalf("Load accepted the module, want %v", tc.want)
				}
				var ae *abi.Error
				if !errors.Is(err, tc.want) || !errors.As(err, &ae) {
					t.Fatalf("error %v, want an *abi.Error wrapping %v", err, tc.want)
				}
				if took > 2*time.Second {
					t.Errorf("Load took %v to refuse it", took)
				}
				t.Logf("%v (in %v)", err, took.Round(time.Millisecond))
			})
		}
	}
}

// TestSandboxInterrupt: a module call that loops is stopped by its
// context's deadline or cancellation, the error says so, no goroutine is
// left spinning, and the module answers the next call.
func TestSandboxInterrupt(t *testing.T) {
	for ename, eopts := range engines {
		t.Run(ename, func(t *testing.T) {
			mod, err := host.Load(context.Background(), hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}), append(eopts, host.WithMaxInstances(2))...)
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close(context.Background())
			out := make([]model.Result, 1)
			before := runtime.NumGoroutine()

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			err = mod.Classify(ctx, []float32{5}, out)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("deadline: error %v, want context.DeadlineExceeded", err)
			}

			// cancellation from another goroutine (a client that leaves)
			ctx, cancel = context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); time.Sleep(50 * time.Millisecond); cancel() }()
			err = mod.Classify(ctx, []float32{5}, out)
			wg.Wait()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancel: error %v, want context.Canceled", err)
			}

			// the instances were discarded and their slots freed: more calls
			// than WithMaxInstances still get instances
			for i := 0; i < 4; i++ {
				if err := mod.Classify(context.Background(), []float32{0}, out); err != nil {
					t.Fatalf("call %d after the interrupts: %v", i, err)
				}
			}
			if out[0].Class != 0 || math.Abs(out[0].Probabilities[0]-0.75) > 0 {
				t.Errorf("answer %+v", out[0])
			}
			time.Sleep(50 * time.Millisecond)
			if after := runtime.NumGoroutine(); after > before+1 {
				t.Errorf("%d goroutines before, %d after: a call is still running", before, after)
			}
		})
	}
}

// TestMaxInstances: callers beyond WithMaxInstances wait for an instance,
// and give up with their context.
func TestMaxInstances(t *testing.T) {
	mod, err := host.Load(context.Background(), hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}), host.WithMaxInstances(1))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(context.Background())
	busy, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mod.Classify(busy, []float32{5}, make([]model.Result, 1)) }()
	time.Sleep(50 * time.Millisecond) // the looping call holds the one instance
	ctx, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	err = mod.Classify(ctx, []float32{0}, make([]model.Result, 1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second caller: error %v, want context.DeadlineExceeded (no instance free)", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("looping caller: %v", err)
	}
	if err := mod.Classify(context.Background(), []float32{0}, make([]model.Result, 1)); err != nil {
		t.Fatalf("after the slot came back: %v", err)
	}
}

// TestCheck: Check passes on a sound module (compiled or hand-made).
func TestCheck(t *testing.T) {
	for _, b := range [][]byte{
		compile(t, randModel(t, rand.New(rand.NewPCG(3, 3)), shapes["outlier log1p and clip"])),
		hostiletest.Module(hostiletest.Spec{}),
	} {
		mod := load(t, b)
		if err := mod.Check(context.Background()); err != nil {
			t.Errorf("Check: %v", err)
		}
	}
}
