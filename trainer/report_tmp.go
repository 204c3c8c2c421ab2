package trainer

import "io"

func (r *Result) writeReport(w io.Writer) error { _, err := io.WriteString(w, "<html></html>"); return err }
