// Package tokenfile reads a bearer token from a file (a mounted Secret's
// key, a projected service account token): the one rule both ends use, so
// that the token the sensor sends from a file is the token the function
// accepts from the same file.
//
// The rule: the file's bytes less surrounding white space (the newline of
// `kubectl create secret --from-file`, an editor's, or none for a
// projected token); what is left must be non-empty and hold no white
// space. White space at either end could never be matched anyway: an HTTP
// field value carries none (RFC 9110 §5.5), so the server compares the
// header's token trimmed.
//
// It is not for binary keys (the reply-id key is read by
// functions.ReadKeyFile, which keeps every byte but a trailing newline).
package tokenfile
