package cloudevents

import "fmt"

// maxFlowDepth is the deepest nesting a flow document has:
// {"features": [[...], ...]}.
const maxFlowDepth = 3

// bound refuses, before any parse, a document whose shape no flow
// document has: an object of more than twice as many fields as the schema
// has features, plus 64 (every field must name a distinct feature; up to
// that many, the decoder's error names the unknown ones), an array longer
// than both a flow's values and the flow limit, or nesting deeper than
// maxFlowDepth.
// The general decoder builds a map per object, so a 7 MB object of
// 600,000 fields would cost 150 MB to parse only to be refused; this scan
// allocates nothing. It stops at the first excess; a document that is not
// JSON is left to the parser to describe.
func (d *FlowDecoder) bound(b []byte) error {
	type open struct {
		object bool
		n      int // elements seen (commas + 1 once one has begun)
	}
	var stack [maxFlowDepth + 1]open
	depth := 0
	maxFields := 2*d.nf + 64
	maxArray := -1 // no flow limit
	if d.maxFlows > 0 {
		maxArray = max(d.nf, d.maxFlows)
	}
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			if depth > 0 && stack[depth-1].n == 0 {
				stack[depth-1].n = 1
			}
			if depth == maxFlowDepth {
				return &Error{Flow: -1, Err: ErrNotFlow, Detail: fmt.Sprintf("nested deeper than a flow document (%d levels)", maxFlowDepth)}
			}
			stack[depth] = open{object: c == '{'}
			depth++
			continue
		case '}', ']':
			if depth == 0 {
				return nil
			}
			depth--
			continue
		case ',':
			if depth == 0 {
				return nil
			}
			stack[depth-1].n++
		case '"':
			inString = true
		}
		if depth == 0 {
			continue
		}
		top := &stack[depth-1]
		if top.n == 0 {
			top.n = 1
		}
		switch {
		case top.object && top.n > maxFields:
			return &Error{Flow: -1, Err: ErrNotFlow, Detail: fmt.Sprintf("an object of more than %d fields; the schema has %d features", maxFields, d.nf)}
		case !top.object && maxArray >= 0 && top.n > maxArray:
			return &Error{Flow: -1, Err: ErrTooManyFlows, Detail: fmt.Sprintf("an array of more than %d values or flows (a flow has %d values, a request at most %d flows)", maxArray, d.nf, d.maxFlows)}
		}
	}
	return nil
}
