package compiler

// TopTier compiles the module for a warm instance, where wazero's compile
// time does not count but every flow's cost does: trees as code
// (TreeCode) whatever the model's size, and the fastest kernels the
// compiler has (topkernel.go): no loop for one flow, the tree functions
// over blocks of 16 rows, the row's features in locals, vector leaves and
// the whitened detector in f64x2 with its accumulators in locals and its
// constants as immediates. A WithoutSIMD top tier keeps the default's
// scalar detector. Its answers are the same bits as the default (tables)
// module's, so a host may load the default module for a fast cold start
// and swap in the top tier once it is compiled (host tier-up). A later
// option in opts overrides TopTier's tree form.
func TopTier() CompileOption {
	return func(c *compileConfig) {
		c.form = TreeCode
		c.top = true
	}
}
