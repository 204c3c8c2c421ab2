package compiler

// TopTier compiles the module for a warm instance, where wazero's compile
// time does not count but every flow's cost does: trees as code
// (TreeCode) whatever the model's size, and the fastest kernels the
// compiler has. Its answers are the same bits as the default (tables)
// module's, so a host may load the default module for a fast cold start
// and swap in the top tier once it is compiled (host tier-up). A later
// option in opts overrides TopTier's tree form.
func TopTier() CompileOption {
	return func(c *compileConfig) {
		c.form = TreeCode
		c.top = true
	}
}
