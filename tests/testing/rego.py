"""Rego modules the policy tests share: a small gates package and its unit tests (one of each outcome).

The tests assert file lines in these texts: edit them only with those tests.
"""

GATES = """
package clinigate.gates
import rego.v1

deny contains {"rule": "gates.auc", "msg": "AUC below the floor"} if {
    input.auc_e4 < data.clinigate.limits.min_auc_e4
}

ratio := input.a / input.b
"""

GATES_TEST = """
package clinigate.gates_test
import rego.v1

import data.clinigate.gates

test_low_auc_is_denied if {
    count(gates.deny) == 1 with input as {"auc_e4": 7000}
}

test_limit_can_be_mocked if {
    count(gates.deny) == 0 with input as {"auc_e4": 7000}
        with data.clinigate.limits.min_auc_e4 as 6000
}

test_wrong_expectation if {
    print("deny was", gates.deny) with input as {"auc_e4": 9000}
    count(gates.deny) == 1 with input as {"auc_e4": 9000}
}

test_undefined_is_a_failure if input.nothing

test_division_by_zero if {
    gates.ratio == 1 with input as {"a": 1, "b": 0}
}

todo_test_subgroups if false

# test_commented_out if false
helper := "test_in_a_string if false"

test_functions_are_not_tests(x) if x
"""
