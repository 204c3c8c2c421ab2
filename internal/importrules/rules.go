package importrules

import (
	"fmt"
	"sort"
	"strings"
)

// Module is the project's module path.
const Module = "github.com/flowsense/flowsense"

// Wazero is the module path of the WebAssembly runtime.
const Wazero = "github.com/tetratelabs/wazero"

// Package is one node of the graph, as `go list -deps -json` reports it:
// its import path, whether it is in the standard library, the packages it
// imports, and every package it depends on (transitively; non-test
// imports only).
type Package struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
}

// Violation is one broken rule.
type Violation struct {
	Package, Dep, Rule string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s depends on %s: %s", v.Package, v.Dep, v.Rule)
}

// rel is the path inside the module, or "" for a package outside it.
func rel(path string) (string, bool) {
	if path == Module {
		return ".", true
	}
	if r, ok := strings.CutPrefix(path, Module+"/"); ok {
		return r, true
	}
	return "", false
}

// under reports whether the module-relative path r is dir or below it.
func under(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

func underAny(r string, dirs ...string) bool {
	for _, d := range dirs {
		if under(r, d) {
			return true
		}
	}
	return false
}

// Check returns every violation in the graph, sorted.
func Check(pkgs []Package) []Violation {
	std := map[string]bool{}
	for _, p := range pkgs {
		if p.Standard {
			std[p.ImportPath] = true
		}
	}
	var out []Violation
	for _, p := range pkgs {
		r, ours := rel(p.ImportPath)
		if !ours {
			continue
		}
		core := under(r, "model") || (under(r, "wasm") && !under(r, "wasm/host"))
		host := under(r, "wasm/host")
		// The page's extractor is compiled to js/wasm and fetched by every
		// browser that opens a capture: it imports extract/ and the
		// standard library only.
		pcapwasm := under(r, "functions/web/pcapwasm")
		serving := underAny(r, "model", "wasm", "functions", "cloudevents", "artifact", "flowdata", "drift", "collect", "extract", "sensor")
		noWazero := underAny(r, "trainer", "artifact", "internal/simulate", "wasm/compiler", "wasm/abi", "model", "flowdata")
		// What the core imports itself: the module's packages it may import
		// are held to the same rule, so what they link is covered too, while
		// wazero's own dependencies are wazero's business.
		for _, d := range p.Imports {
			dr, depOurs := rel(d)
			isWazero := d == Wazero || strings.HasPrefix(d, Wazero+"/")
			if (core || host) && !std[d] && !(depOurs && underAny(dr, "model", "wasm")) && !(host && isWazero) {
				allowed := "the standard library, model/ and wasm/"
				if host {
					allowed += " and wazero"
				}
				out = append(out, Violation{p.ImportPath, d, "may import " + allowed + " only"})
			}
			if pcapwasm && !std[d] && !(depOurs && under(dr, "extract")) {
				out = append(out, Violation{p.ImportPath, d, "may import the standard library and extract/ only"})
			}
		}
		for _, d := range p.Deps {
			dr, depOurs := rel(d)
			isWazero := d == Wazero || strings.HasPrefix(d, Wazero+"/")
			switch {
			case serving && depOurs && under(dr, "trainer"):
				out = append(out, Violation{p.ImportPath, d, "serving code never depends on training code"})
			case noWazero && isWazero:
				out = append(out, Violation{p.ImportPath, d, "must not link the WebAssembly runtime"})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Dep < out[j].Dep
	})
	return out
}
