# Tests added by the verification work (issue 6): the property test of the
# timeout and deadline arithmetic.  Included from tests/CMakeLists.txt.
parker_add_test(test_deadline test_deadline.c)
