package abi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flowsense/flowsense/model"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// Metadata is what a compiled module says about its model, carried as JSON
// in the module's "flowsense.model" custom section: everything a host
// needs besides the code (the schema to encode flow records, the class
// names, the verdict rule) and the provenance an operator wants to see.
type Metadata struct {
	// ABI is the module's ABI version (Version when written here).
	ABI int `json:"abi"`
	// Format is the model file format version the model was read from.
	Format int    `json:"format"`
	Name   string `json:"name,omitempty"`
	// Version is the model's own version (model.Metadata.Version).
	Version        string    `json:"version,omitempty"`
	TrainerVersion string    `json:"trainer_version"`
	Created        time.Time `json:"created"`
	// ModelSHA256 is the hex sha256 of the model file as model.Encode
	// writes it.
	ModelSHA256 string `json:"model_sha256"`
	// Schema lists the features a row carries, in order, with categories
	// and unknown-category policies.
	Schema  model.Schema `json:"schema"`
	Classes []string     `json:"classes"`
	// Benign lists the indices of the classes that are not attacks.
	Benign    []int           `json:"benign"`
	Objective model.Objective `json:"objective"`
	Trees     int             `json:"trees"`
	// Outlier describes the detector; nil when the model has none.
	Outlier *OutlierInfo `json:"outlier,omitempty"`
	// Reference are the training data's histograms, one per feature.
	Reference []model.Histogram `json:"reference"`
	// Metrics are the model's headline evaluation figures.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// OutlierInfo summarises the module's outlier detector.
type OutlierInfo struct {
	Threshold  float64 `json:"threshold"`
	Features   []int32 `json:"features"`
	Components int     `json:"components"`
}

func MetadataOf(m *model.Model, sha string) *Metadata {
	md := &Metadata{
		ABI:            Version,
		Format:         m.Format,
		Name:           m.Meta.Name,
		Version:        m.Meta.Version,
		TrainerVersion: m.Meta.TrainerVersion,
		Created:        m.Meta.Created,
		ModelSHA256:    sha,
		Schema:         m.Schema,
		Classes:        m.Classes,
		Benign:         m.Benign,
		Objective:      m.Ensemble.Objective,
		Trees:          len(m.Ensemble.Trees),
		Reference:      m.Reference,
		Metrics:        m.Meta.Metrics,
	}
	if md.Benign == nil {
		md.Benign = []int{}
	}
	if o := m.Outlier; o != nil {
		md.Outlier = &OutlierInfo{Threshold: o.Threshold, Features: o.Features, Components: o.Components}
	}
	return md
}

// ReadMetadata returns the metadata of a compiled module without
// instantiating it. Bytes that are not a WebAssembly module, or whose
// section is damaged, give ErrCorrupt; a module without the section gives
// ErrForeign. It accepts any ABI version (Load checks it).
func ReadMetadata(wasmBytes []byte) (*Metadata, error) {
	md, _, err := ReadMetadataRaw(wasmBytes)
	return md, err
}

// readMetadata also returns the section's raw JSON.
func ReadMetadataRaw(b []byte) (*Metadata, []byte, error) {
	secs, err := wb.Sections(b)
	if err != nil {
		return nil, nil, &Error{Op: "read metadata", Offset: -1, Err: ErrCorrupt, Detail: err.Error()}
	}
	for _, s := range secs {
		if s.ID != wb.SecCustom || s.Name != SectionName {
			continue
		}
		md, err := DecodeMetadata(s.Data)
		if err != nil {
			return nil, nil, &Error{Op: "read metadata", Offset: s.Offset, Err: ErrCorrupt, Detail: err.Error()}
		}
		return md, s.Data, nil
	}
	return nil, nil, &Error{Op: "read metadata", Offset: -1, Err: ErrForeign, Detail: "no " + SectionName + " section"}
}

// DecodeMetadata decodes and checks the JSON of a module's metadata
// section (what ReadMetadataRaw returns as raw).
func DecodeMetadata(b []byte) (*Metadata, error) {
	var md Metadata
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&md); err != nil {
		return nil, fmt.Errorf("section JSON: %v", err)
	}
	if md.ABI <= 0 {
		return nil, fmt.Errorf("section has no ABI version")
	}
	if len(md.Schema.Features) == 0 {
		return nil, fmt.Errorf("section has no features")
	}
	if len(md.Classes) < 2 {
		return nil, fmt.Errorf("section has %d classes", len(md.Classes))
	}
	for _, c := range md.Benign {
		if c < 0 || c >= len(md.Classes) {
			return nil, fmt.Errorf("benign class %d out of range", c)
		}
	}
	return &md, nil
}
