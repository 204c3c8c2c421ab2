package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// errUsage marks a command-line mistake.
var errUsage = errors.New("usage")

// flagSet is a small parser for GNU-style options: `--name value`,
// `--name=value`, boolean `--name`, and list options that take every
// following argument up to the next option (`--data a.csv b.csv`), or
// comma-separated values. Go's flag package stops at the first positional
// argument, which would end `--data a.csv b.csv --out dir` early.
type flagSet struct {
	cmd   string
	specs map[string]*spec
	order []string
	args  []string // positional arguments
}

type spec struct {
	name, help, def string
	kind            int // kindString, kindBool, kindList
	set             bool
	str             *string
	b               *bool
	list            *[]string
}

const (
	kindString = iota
	kindBool
	kindList
)

func newFlags(cmd string) *flagSet { return &flagSet{cmd: cmd, specs: map[string]*spec{}} }

func (f *flagSet) add(s *spec) {
	f.specs[s.name] = s
	f.order = append(f.order, s.name)
}

func (f *flagSet) String(name, def, help string) *string {
	p := new(string)
	*p = def
	f.add(&spec{name: name, help: help, def: def, kind: kindString, str: p})
	return p
}

func (f *flagSet) Bool(name, help string) *bool {
	p := new(bool)
	f.add(&spec{name: name, help: help, kind: kindBool, b: p})
	return p
}

func (f *flagSet) List(name, help string) *[]string {
	p := new([]string)
	f.add(&spec{name: name, help: help, kind: kindList, list: p})
	return p
}

// Parse reads args; a mistake is an error wrapping errUsage.
func (f *flagSet) Parse(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			f.args = append(f.args, a)
			continue
		}
		if a == "--" {
			f.args = append(f.args, args[i+1:]...)
			break
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, val, hasVal = name[:k], name[k+1:], true
		}
		s, ok := f.specs[name]
		if !ok {
			return fmt.Errorf("%w: unknown option --%s (see flowsense %s --help)", errUsage, name, f.cmd)
		}
		s.set = true
		switch s.kind {
		case kindBool:
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return fmt.Errorf("%w: --%s=%s: want true or false", errUsage, name, val)
				}
				*s.b = b
			} else {
				*s.b = true
			}
		case kindString:
			if !hasVal {
				if i+1 >= len(args) {
					return fmt.Errorf("%w: --%s needs a value", errUsage, name)
				}
				i++
				val = args[i]
			}
			*s.str = val
		case kindList:
			var vals []string
			if hasVal {
				vals = append(vals, val)
			} else {
				for i+1 < len(args) && (!strings.HasPrefix(args[i+1], "-") || args[i+1] == "-") {
					i++
					vals = append(vals, args[i])
				}
			}
			if len(vals) == 0 {
				return fmt.Errorf("%w: --%s needs at least one value", errUsage, name)
			}
			for _, v := range vals {
				for _, part := range strings.Split(v, ",") {
					if part = strings.TrimSpace(part); part != "" {
						*s.list = append(*s.list, part)
					}
				}
			}
		}
	}
	return nil
}

// Set reports whether the option was given.
func (f *flagSet) Set(name string) bool { return f.specs[name].set }

func (f *flagSet) usage(w io.Writer, synopsis string) {
	fmt.Fprintf(w, "usage: flowsense %s %s\n\noptions:\n", f.cmd, synopsis)
	names := append([]string(nil), f.order...)
	sort.Strings(names)
	for _, n := range names {
		s := f.specs[n]
		arg := ""
		switch s.kind {
		case kindString:
			arg = " VALUE"
		case kindList:
			arg = " V..."
		}
		def := ""
		if s.def != "" {
			def = " (default " + s.def + ")"
		}
		fmt.Fprintf(w, "  --%-24s %s%s\n", n+arg, s.help, def)
	}
}

func (f *flagSet) Int(name string, v *int) error {
	s := f.specs[name]
	if !s.set && *s.str == "" {
		return nil
	}
	n, err := strconv.Atoi(*s.str)
	if err != nil {
		return fmt.Errorf("%w: --%s %q: want an integer", errUsage, name, *s.str)
	}
	*v = n
	return nil
}

func (f *flagSet) Float(name string, v *float64) error {
	s := f.specs[name]
	if !s.set && *s.str == "" {
		return nil
	}
	x, err := strconv.ParseFloat(*s.str, 64)
	if err != nil {
		return fmt.Errorf("%w: --%s %q: want a number", errUsage, name, *s.str)
	}
	*v = x
	return nil
}
