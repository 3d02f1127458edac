#!/bin/sh
# flags.sh TARGET: the libFuzzer flags a target always runs with
# (dictionary, input size), for run.sh and check.sh alike.
case $1 in
record|macro)		echo "-dict=tests/fuzz/dict/spf.dict -max_len=4096" ;;
query)			echo "-dict=tests/fuzz/dict/spf.dict -max_len=12288" ;;
config)			echo "-dict=tests/fuzz/dict/config.dict -max_len=4096" ;;
dnsmsg)			echo "-max_len=8192" ;;
filter)			echo "-dict=tests/fuzz/dict/spf.dict -max_len=12288" ;;
proto)			echo "-dict=tests/fuzz/dict/proto.dict -max_len=150000" ;;
policy)			echo "-dict=tests/fuzz/dict/policy.dict -max_len=20000" ;;
*)			echo "" ;;
esac
