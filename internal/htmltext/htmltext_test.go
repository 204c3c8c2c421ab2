package htmltext_test

import (
	"testing"

	"github.com/flowsense/flowsense/internal/htmltext"
)

func TestEscape(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"markup":        {`<script>"a"&'b'</script>`, "&lt;script&gt;&#34;a&#34;&amp;&#39;b&#39;&lt;/script&gt;"},
		"whitespace":    {"a\tb\nc\rd", "a\tb\nc\rd"},
		"control":       {"a\x00b\x1fc\x7fd\u0085e", "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe"},
		"non-character": {"\uFFFE\uFFFF", "\uFFFD\uFFFD"},
		"invalid utf-8": {"a\xffb", "a\uFFFDb"},
		"plain":         {"SYN Flood é", "SYN Flood é"},
	} {
		if got := htmltext.Escape(c.in); got != c.want {
			t.Errorf("%s: Escape(%q) = %q, want %q", name, c.in, got, c.want)
		}
	}
}
