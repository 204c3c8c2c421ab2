package simulate

import (
	"errors"
	"testing"
)

// A reply element without a label is refused even when the buffer reused
// from the previous reply held one there.
func TestDecodeAnswersReusedBuffer(t *testing.T) {
	buf, err := decodeAnswers([]byte(`[{"label":"BENIGN","verdict":"benign"},{"label":"DoS","verdict":"malicious"}]`), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeAnswers([]byte(`[{"verdict":"benign"},{"verdict":"benign"}]`), 2, buf); !errors.Is(err, ErrReply) {
		t.Fatalf("labels missing from the second reply: %v, want ErrReply", err)
	}
}
