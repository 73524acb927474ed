module policyc.dev/gounicodetest

go 1.22
