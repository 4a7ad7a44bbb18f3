# src/cloud/aws: the AWS client of the amazon-import post-processor — SigV4, credentials, S3 multipart
# uploads, the EC2 and STS Query APIs, the metadata service, AWS's XML (libxml2). Built into
# kiln-components.so with the other components (it needs libcurl and libxml2).
src_libkilncomp_a_SOURCES += \
	src/cloud/aws/creds.c src/cloud/aws/creds.h \
	src/cloud/aws/ec2.c src/cloud/aws/ec2.h \
	src/cloud/aws/http.c src/cloud/aws/http.h \
	src/cloud/aws/ini.c src/cloud/aws/ini.h \
	src/cloud/aws/s3.c src/cloud/aws/s3.h \
	src/cloud/aws/sigv4.c src/cloud/aws/sigv4.h \
	src/cloud/aws/uri.c src/cloud/aws/uri.h \
	src/cloud/aws/xml.c src/cloud/aws/xml.h

check_PROGRAMS += tests/unit/test-aws-sigv4
TESTS += tests/unit/test-aws-sigv4
tests_unit_test_aws_sigv4_SOURCES = tests/unit/test-aws-sigv4.c
tests_unit_test_aws_sigv4_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_aws_sigv4_LDADD = $(UNIT_LDADD)
# Drives the client from shell tests and bench/upload.sh (not installed).
check_PROGRAMS += tests/helpers/aws-driver
tests_helpers_aws_driver_SOURCES = tests/helpers/aws-driver.c
tests_helpers_aws_driver_LDADD = $(KILN_LINK)

check_PROGRAMS += tests/unit/test-aws-parse
TESTS += tests/unit/test-aws-parse
tests_unit_test_aws_parse_SOURCES = tests/unit/test-aws-parse.c
tests_unit_test_aws_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_aws_parse_LDADD = $(UNIT_LDADD)
# AWS's SigV4 test suite (aws-c-auth, Apache-2.0: tests/data/aws-sigv4/LICENSE and NOTICE)
EXTRA_DIST += tests/data/aws-sigv4

# SigV4 against botocore (Debian's python3-botocore, run with /usr/bin/python3), and curl's SigV4
# where kiln uses it
check_PROGRAMS += tests/unit/test-aws-botocore
TESTS += tests/unit/test-aws-botocore
EXTRA_DIST += tests/unit/aws-botocore-sign.py
tests_unit_test_aws_botocore_SOURCES = tests/unit/test-aws-botocore.c
tests_unit_test_aws_botocore_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_aws_botocore_LDADD = $(UNIT_LDADD)

# libFuzzer target of the readers of outside input (XML, shared config files, credential JSON, command
# lines, URIs): built and run by tests/fuzz/run.sh, a step of scripts/test
EXTRA_DIST += tests/fuzz/fuzz-aws.c tests/fuzz/seeds-aws

# The loopback AWS of the tests: s3rver (installed by scripts/install-deps) and the EC2/STS/metadata
# stand-in, proved with botocore as the client
TESTS += tests/integration/t0809-aws-standins.sh tests/integration/t0810-amazon-import.sh \
	tests/integration/t0811-amazon-import-credentials.sh tests/integration/t0812-amazon-import-packer.sh
EXTRA_DIST += tests/integration/t0809-aws-standins.sh tests/integration/t0810-amazon-import.sh \
	tests/integration/t0811-amazon-import-credentials.sh tests/integration/t0812-amazon-import-packer.sh \
	tests/integration/aws-standin-selftest.py \
	tests/lib/aws.sh tests/lib/aws-standin.py bench/upload.sh
