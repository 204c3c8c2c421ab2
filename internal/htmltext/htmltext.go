package htmltext

import (
	"html"
	"strings"
	"unicode/utf8"
)

// Escape escapes a data string for HTML text and double-quoted
// attributes. Invalid UTF-8 and characters that neither HTML nor XML
// allows in text (control characters, U+FFFE, U+FFFF) become U+FFFD, so
// the result is also valid XML (the pages embed SVG).
func Escape(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0xfffe || r == 0xffff || r == utf8.RuneError:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return html.EscapeString(s)
}
