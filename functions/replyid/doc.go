// Package replyid makes and checks the reply ids of predictions: the id a
// flowsense function returns with every classification, which feedback
// must quote to be counted.
//
// An id is 31 bytes, written as 42 characters of unpadded base64url:
//
//	version (1 byte, 1) | bucket (4 bytes, big-endian hours since the Unix epoch)
//	| class (2 bytes, big-endian index of the predicted class)
//	| nonce (8 bytes, big-endian; Signer.Reserve)
//	| mac (16 bytes, HMAC-SHA256 truncated)
//
// The MAC is keyed by a per-deployment secret and covers a domain string,
// the model's SHA-256 and the first 15 bytes. So an id names the label the
// function returned (feedback cannot claim another), for which model (an
// id of another model or deployment is refused), and roughly when (an id
// older than the time to live is refused). Nothing is stored per
// prediction: any replica holding the key checks any id.
//
// Design note: every prediction gets its own id, even for two flows with
// identical feature values (real traffic repeats them: the packets of a
// SYN flood make the same flow record again and again), because each is a
// prediction someone may give feedback for. The nonce is a counter from a
// random start per process, not a digest of the row: it costs one atomic
// add per request where a row digest cost a SHA-256 per flow, and the row
// would add nothing the MAC does not already bind (class, model, time).
// "A duplicate is counted once" is the second use of one id.
//
// Seen remembers the ids whose feedback was counted, to refuse a second
// use, within a bounded memory: ids are kept by bucket and a bucket is
// forgotten when its ids expire, so memory holds at most the ids counted
// within one time to live, capped by a maximum entry count (beyond it,
// feedback is refused as unavailable rather than a replay let through).
// It is per process: a duplicate that reaches two replicas is counted by
// each (see functions/README.md, "Who may call it").
//
// This package is standard library only; it knows nothing of HTTP.
package replyid
