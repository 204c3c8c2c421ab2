package abi

// Version is the version of the interface a compiled module exports
// (wasm/ABI.md). A host refuses a module whose version it does not know.
const Version = 1

// Minor is the minor version of the interface: 1 adds the optional explain
// export (wasm/ABI.md). A version-1 host runs every minor version; a module
// exports it as the abi_minor global (absent: 0).
const Minor = 1

// SectionName is the custom section that carries a module's Metadata.
const SectionName = "flowsense.model"

// Export names of ABI version 1 (see wasm/ABI.md).
const (
	ExportMemory   = "memory"
	ExportPredict  = "predict"
	ExportABI      = "abi_version"
	ExportFeatures = "n_features"
	ExportClasses  = "n_classes"
	ExportMaxBatch = "max_batch"
	ExportInput    = "input"
	ExportOutput   = "output"
	ExportStride   = "output_stride"
)

// Export names added by ABI 1.1, present when the module can explain
// (its model has node covers; see wasm/ABI.md).
const (
	ExportMinor   = "abi_minor"
	ExportExplain = "explain"
	ExportContrib = "contrib"
	ExportOutputs = "n_outputs"
)

// Layout constants of ABI version 1.
const (
	// OutHeaderBytes precede a row's probabilities in the output buffer:
	// class i32, verdict i32, outlier score f64.
	OutHeaderBytes = 16
	// MaxIOBytes bounds the input and the output buffer.
	MaxIOBytes = 1 << 20
	// DefaultMaxBatch is the batch a module accepts when its rows fit.
	DefaultMaxBatch = 256
	// MaxMemoryBytes: a module larger than this is refused by the compiler.
	MaxMemoryBytes uint64 = 1 << 31
	// PageBytes is the size of a WebAssembly memory page.
	PageBytes = 1 << 16
	// ScratchBase is the first address the compiler uses; 0-15 stay zero.
	ScratchBase = 16
)
