# Number formatting for messages people read.
#
# Python hands the policies every metric as an integer in units of 1/10,000 ("e4": AUC 0.873 is
# 8730) so that thresholds are compared exactly on every engine (policies/README.md; engines note
# §8: 0.90 - 0.85 <= 0.05 is false in floating point). These helpers turn such integers back into
# decimals for messages. They use floor, format_int and concat only: `sprintf("%d")` refuses the
# result of a division on regorus, `%f`/`%.3f` differ between engines, and the `%` operator
# fails on some operands in regopy (8700 % 10), so remainders are computed with floor.
#
# Messages in every module are built with concat, not sprintf: regopy's sprintf quotes a string
# returned by a function when it is not the first argument ("AUC "0.680" is ..."), which would
# make the engines disagree on the decision.
package clinigate.format

import rego.v1

# e4(8730) = "0.873", e4(8735) = "0.8735", e4(190) = "0.019", e4(10000) = "1.000", e4(-30) = "-0.003".
# Three decimals unless the fourth is needed, so that "0.7995 is below 0.800" never reads as
# "0.800 is below 0.800". Anything that is not a whole number is shown as it came.
e4(x) := concat("", ["-", unsigned(0 - x)]) if {
	is_whole(x)
	x < 0
}

e4(x) := unsigned(x) if {
	is_whole(x)
	x >= 0
}

e4(x) := text(x) if not is_whole(x)

is_whole(x) if {
	is_number(x)
	floor(x) == x
}

unsigned(x) := concat("", [format_int(whole, 10), ".", decimals(x - (whole * 10000))]) if {
	whole := floor(x / 10000)
}

# Four digits with leading zeros, the last one dropped when it is 0.
decimals(r) := substring(pad4(r), 0, 3) if {
	floor(r / 10) * 10 == r
}

decimals(r) := pad4(r) if {
	floor(r / 10) * 10 != r
}

pad4(r) := concat("", ["000", format_int(r, 10)]) if {
	r < 10
} else := concat("", ["00", format_int(r, 10)]) if {
	r < 100
} else := concat("", ["0", format_int(r, 10)]) if {
	r < 1000
} else := format_int(r, 10)

# Any value as message text: a string as it is, anything else as JSON (null, numbers, lists).
text(x) := x if {
	is_string(x)
} else := json.marshal(x)

# Strings of a set or array, ascending and without duplicates. Each element's position is the
# number of elements below it: engines iterate sets in different orders (regopy keeps insertion
# order), and the sorting builtin is banned (engines note §8), so the order is computed here.
sorted(xs) := [x | some i in numbers.range(0, count(u) - 1); some x in u; count({y | some y in u; y < x}) == i] if {
	u := {x | some x in xs}
	count(u) > 0
} else := []

# A list of strings for a sentence, sorted: {"sex", "age_band"} -> "age_band, sex".
join(xs) := concat(", ", sorted(xs))
