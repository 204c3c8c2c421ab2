package wasm

// ABIVersion is the version of the interface a compiled module exports
// (ABI.md). A host refuses a module whose version it does not know.
const ABIVersion = 1

// SectionName is the custom section that carries a module's Metadata.
const SectionName = "flowsense.model"

// Export names of ABI version 1 (see ABI.md).
const (
	exportMemory    = "memory"
	exportPredict   = "predict"
	exportABI       = "abi_version"
	exportFeatures  = "n_features"
	exportClasses   = "n_classes"
	exportMaxBatch  = "max_batch"
	exportInput     = "input"
	exportOutput    = "output"
	exportStride    = "output_stride"
	outHeaderBytes  = 16 // class i32, verdict i32, outlier score f64
	maxIOBytes      = 1 << 20
	defaultMaxBatch = 256
	maxMemoryBytes  = 1 << 31 // a module larger than this is refused by Compile
	wasmPageBytes   = 1 << 16
	scratchBase     = 16 // addresses 0-15 stay zero
)
