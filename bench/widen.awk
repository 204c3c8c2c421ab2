# widen.awk: append EXTRA derived feature columns (default 37) to the output
# of `flowsense gen`, taking its 41 features to 78, the width of CIC-IDS2017
# (bench/train_memory.sh). Column "Extra i" is feature column 8 + (i-1) % 40
# (Flow Duration onwards) times 1 + i % 5, plus a row-dependent term in 0..12
# so that its values are not the source's; cells that are not plain numbers
# (empty, NaN, Infinity) are copied as they are. The label stays last.
BEGIN { FS = OFS = ","; if (EXTRA == "") EXTRA = 37 }
NR == 1 {
	h = $0; sub(/,[^,]*$/, "", h)
	for (i = 1; i <= EXTRA; i++) h = h ",Extra " i
	print h "," $NF
	next
}
{
	line = $0; sub(/,[^,]*$/, "", line)
	for (i = 1; i <= EXTRA; i++) {
		v = $(8 + (i - 1) % 40)
		if (v ~ /^-?[0-9.]+$/) v = v * (1 + i % 5) + (NR * (i + 7)) % 13
		line = line "," v
	}
	print line "," $NF
}
