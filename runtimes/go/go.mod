module policyc.dev/runtime

go 1.22
