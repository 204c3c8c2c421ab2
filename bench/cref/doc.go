// Command cref writes a straight-line C implementation of a flowsense
// model: every tree as nested if/else with its thresholds and leaf values
// as constants, raw scores and the outlier detector in double, libm's exp
// and log1p. It is the reference bench/c_reference.sh compiles with
// gcc -O2 and counts under callgrind beside the module (the issue's "close
// to the machine": what one flow costs in plain C).
//
// Usage:
//
//	cref -model model.json -out model.c [-rows rows.f32 -expect expect.txt]
//
// With -rows (little-endian float32 rows of the schema's width) and
// -expect it also writes the native predictor's class and outlier score of
// every row, one "class score" line each, which the C program's check mode
// prints in the same form.
package main
