// Package abi is the interface between a compiled flowsense module and
// its host, as ../ABI.md documents it: the ABI version, the export names
// and buffer layout, the "flowsense.model" custom section that carries a
// module's Metadata (ReadMetadata reads it without instantiating the
// module), and the errors the compiler and the host share.
//
// It imports the standard library and package model only: the
// simulator, the CLI's inspect and anything else that reads a module's
// metadata use it without linking the compiler or a runtime
// (HasFuncExport, likewise, reads whether a module exports a function,
// the explain export say, from its export section).
package abi
