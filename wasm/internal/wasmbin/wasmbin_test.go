package wasmbin

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestLEB128(t *testing.T) {
	u32 := map[string]struct {
		v    uint32
		want []byte
	}{
		"zero":        {0, []byte{0x00}},
		"one byte":    {127, []byte{0x7f}},
		"two bytes":   {128, []byte{0x80, 0x01}},
		"spec sample": {624485, []byte{0xe5, 0x8e, 0x26}},
		"max":         {math.MaxUint32, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
	}
	for name, tc := range u32 {
		t.Run("u32 "+name, func(t *testing.T) {
			got := AppendU32(nil, tc.v)
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("AppendU32(%d) = %x, want %x", tc.v, got, tc.want)
			}
			v, n, err := ReadU32(got)
			if err != nil || v != tc.v || n != len(got) {
				t.Fatalf("ReadU32(%x) = %d, %d, %v", got, v, n, err)
			}
		})
	}
	s64 := map[string]struct {
		v    int64
		want []byte
	}{
		"zero":          {0, []byte{0x00}},
		"minus one":     {-1, []byte{0x7f}},
		"63":            {63, []byte{0x3f}},
		"64 needs two":  {64, []byte{0xc0, 0x00}},
		"-64":           {-64, []byte{0x40}},
		"-65":           {-65, []byte{0xbf, 0x7f}},
		"spec negative": {-123456, []byte{0xc0, 0xbb, 0x78}},
	}
	for name, tc := range s64 {
		t.Run("s64 "+name, func(t *testing.T) {
			if got := AppendS64(nil, tc.v); !bytes.Equal(got, tc.want) {
				t.Fatalf("AppendS64(%d) = %x, want %x", tc.v, got, tc.want)
			}
		})
	}
	bad := map[string][]byte{
		"empty":     nil,
		"truncated": {0x80, 0x80},
		"too large": {0xff, 0xff, 0xff, 0xff, 0x1f},
	}
	for name, b := range bad {
		t.Run("bad "+name, func(t *testing.T) {
			if _, _, err := ReadU32(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ReadU32(%x): error %v, want ErrMalformed", b, err)
			}
		})
	}
}

func TestSectionsRoundTrip(t *testing.T) {
	m := NewModule()
	m.Custom("meta", []byte(`{"a":1}`))
	m.Section(SecType, Vec(FuncType([]byte{I32}, []byte{I32})))
	m.Section(SecData, bytes.Repeat([]byte{7}, 300))
	secs, err := Sections(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 3 || secs[0].Name != "meta" || string(secs[0].Data) != `{"a":1}` || secs[1].ID != SecType || len(secs[2].Data) != 300 {
		t.Fatalf("sections %+v", secs)
	}
	if _, err := Sections([]byte("\x00asm\x02\x00\x00\x00")); !errors.Is(err, ErrMagic) {
		t.Errorf("version 2: error %v, want ErrMagic", err)
	}
}

// FuzzSections: any bytes split into sections or give an error; sections
// written back give the same bytes.
func FuzzSections(f *testing.F) {
	m := NewModule()
	m.Custom("flowsense.model", []byte(`{}`))
	m.Section(SecType, Vec(FuncType(nil, nil)))
	f.Add(m.Bytes())
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x05\x04name"))
	f.Fuzz(func(t *testing.T, b []byte) {
		secs, err := Sections(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrMagic) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out := NewModule()
		for _, s := range secs {
			if s.ID == SecCustom {
				out.Custom(s.Name, s.Data)
			} else {
				out.Section(s.ID, s.Data)
			}
		}
		again, err := Sections(out.Bytes())
		if err != nil || len(again) != len(secs) {
			t.Fatalf("rewritten module: %d sections, %v; want %d", len(again), err, len(secs))
		}
		for i := range secs {
			if again[i].ID != secs[i].ID || again[i].Name != secs[i].Name || !bytes.Equal(again[i].Data, secs[i].Data) {
				t.Fatalf("section %d changed", i)
			}
		}
	})
}
