package flowdata

import (
	"fmt"
	"strings"
)

// Label maps, by the name given in Options.LabelMap.
const (
	// LabelMapNone keeps labels as they are (also the empty string).
	LabelMapNone = "none"
	// LabelMapKDD5 maps KDD attack names onto normal, dos, probe, r2l and
	// u2r.
	LabelMapKDD5 = "kdd5"
	// LabelMapBinary maps every label onto normal/attack (KDD) or keeps a
	// benign label as it is and maps every other label onto "attack".
	LabelMapBinary = "binary"
)

// kdd5 maps every attack name of KDD Cup 99 and NSL-KDD, training and test
// sets, onto its category (Attack_Types.csv for the training attacks; the
// 17 test-only names after Tavallaee et al. 2009 and the DARPA 1998
// documentation). Every label in kddcup.data_10_percent, corrected, KDDTrain+,
// KDDTest+ and KDDTest-21 is here.
var kdd5 = map[string]string{
	"normal": "normal",
	// dos
	"back": "dos", "land": "dos", "neptune": "dos", "pod": "dos", "smurf": "dos", "teardrop": "dos",
	"apache2": "dos", "mailbomb": "dos", "processtable": "dos", "udpstorm": "dos",
	// probe
	"ipsweep": "probe", "nmap": "probe", "portsweep": "probe", "satan": "probe",
	"mscan": "probe", "saint": "probe",
	// r2l
	"ftp_write": "r2l", "guess_passwd": "r2l", "imap": "r2l", "multihop": "r2l", "phf": "r2l",
	"spy": "r2l", "warezclient": "r2l", "warezmaster": "r2l",
	"named": "r2l", "sendmail": "r2l", "snmpgetattack": "r2l", "snmpguess": "r2l", "worm": "r2l",
	"xlock": "r2l", "xsnoop": "r2l",
	// u2r
	"buffer_overflow": "u2r", "loadmodule": "u2r", "perl": "u2r", "rootkit": "u2r",
	"httptunnel": "u2r", "ps": "u2r", "sqlattack": "u2r", "xterm": "u2r",
}

// IsBenign reports whether a label names benign traffic: "normal" or
// "benign" in any case, surrounding spaces and a trailing dot ignored.
func IsBenign(label string) bool {
	l := strings.TrimSuffix(strings.TrimSpace(label), ".")
	return strings.EqualFold(l, "normal") || strings.EqualFold(l, "benign")
}

// labelMapper returns the function that maps a (trimmed) label under the
// named map, for the given format.
func labelMapper(name string, f Format) (func(string) (string, error), error) {
	switch strings.ToLower(name) {
	case "", LabelMapNone:
		return nil, nil
	case LabelMapKDD5:
		return func(l string) (string, error) {
			if c, ok := kdd5[strings.ToLower(l)]; ok {
				return c, nil
			}
			return "", fmt.Errorf("%w %q for label map %s", ErrUnknownLabel, l, LabelMapKDD5)
		}, nil
	case LabelMapBinary:
		return func(l string) (string, error) {
			if IsBenign(l) {
				if f == FormatKDD {
					return "normal", nil
				}
				return l, nil
			}
			return "attack", nil
		}, nil
	}
	return nil, fmt.Errorf("%w: unknown label map %q (want none, kdd5 or binary)", ErrOption, name)
}
