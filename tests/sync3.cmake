# Tests of issue 20's C objects: reentrant and fair mutex, bump, upgradable
# reads.  Included by tests/CMakeLists.txt.
parker_add_test(test_sync_more test_sync_more.c)
