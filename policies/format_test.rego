package clinigate.format_test

import rego.v1

import data.clinigate.format

test_e4_three_decimals if format.e4(8730) == "0.873"

test_e4_keeps_a_needed_fourth_decimal if format.e4(8735) == "0.8735"

test_e4_small_gap if format.e4(190) == "0.019"

test_e4_tenth if format.e4(1000) == "0.100"

test_e4_single_unit if format.e4(1) == "0.0001"

test_e4_zero if format.e4(0) == "0.000"

test_e4_one if format.e4(10000) == "1.000"

test_e4_negative if format.e4(-30) == "-0.003"

test_e4_string_is_shown_as_is if format.e4("n/a") == "n/a"

test_join_sorted_set if format.join({"sex", "age_band"}) == "age_band, sex"

test_sorted_set if format.sorted({"quality", "clinical_reviewer", "regulatory"}) == ["clinical_reviewer", "quality", "regulatory"]

test_sorted_array_drops_duplicates if format.sorted(["b", "a", "b"]) == ["a", "b"]

test_sorted_empty if format.sorted(set()) == []

test_sorted_prefix_first if format.sorted({"gates.subgroup_gap_x", "gates.subgroup_gap"}) == ["gates.subgroup_gap", "gates.subgroup_gap_x"]

test_join_sorts_arrays_too if format.join(["sex", "age_band"]) == "age_band, sex"
