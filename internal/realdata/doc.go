// Package realdata locates the public datasets that the real-data tests
// (build tag realdata, run by `make test-data`) read: $FLOWSENSE_DATA, or
// ../shared/data beside the repository. It is for tests only; nothing in
// the product reads datasets from a fixed place.
package realdata
