// Package hostile is the hostile-input suite (`make test-hostile`, issue
// 11): it builds the flowsense binary, runs `flowsense serve` as a process
// on loopback, and attacks it as an attacker would: gzip bombs of newlines
// and of zeros, a JSON object of 600,000 fields, a CSV of a million
// columns, a CloudEvents batch at the body limit, slow bodies, and foreign
// modules that loop in predict or in their start function, declare 2 GiB
// or are corrupt. Each attack must get its documented answer within its
// time bound while a one-flow probe keeps its latency, and the process
// must stay under a stated peak RSS.
//
// The tests are behind the build tag hostile (they take about a minute and
// two cores); nothing here is imported.
package hostile
