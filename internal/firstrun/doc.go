// Package firstrun holds the tests of a new user's first five minutes on
// a fresh clone: the README's set-up is `make run` and `make test` and
// nothing else; the Debian packages the tests need come from one list
// (.ci/packages, installed by .ci/deps.sh, which make test and .ci/run
// both call); and the examples `make run` prints and the README's "Using
// it" examples run as printed against the server `make run` starts.
//
// It has no code of its own, only tests. The clean-clone test is behind
// the build tag firstrun (make test runs it): it clones the repository,
// builds and trains, which is too much to repeat in every `go test ./...`.
package firstrun
