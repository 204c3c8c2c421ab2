# flowsense: see README.md. Every target runs from a fresh clone.
SHELL         := /bin/bash
.SHELLFLAGS   := -eu -o pipefail -c
GO            ?= go
BIN           := bin/flowsense
FLOWSENSE_DATA ?= $(abspath ../shared/data)
export FLOWSENSE_DATA
BUNDLED       := data/flows.csv
MODEL_DIR     := out/model

.PHONY: all build model run deps test test-data bench fuzz vet clean lambda page-extractor \
        knative-model test-knative test-func test-lambda-rie bench-wrk bench-instructions lint \
        test-hostile bench-soak bench-train-memory

all: build

build:
	$(GO) build -o $(BIN) ./cmd/flowsense

# The main job on the project's own bundled data: generate it if absent,
# train, evaluate, compile (make model), and serve the model with the
# data's first 100 rows as the page's sample (Ctrl-C stops it), compiled
# with the explain export so a click on a flow in the page says why. The model's
# name and version are shown by the page, GET /model and flowsense inspect:
# bump the version when the data or the recipe changes. The Knative
# function embeds this model (make knative-model).
ADDR            ?= 127.0.0.1:8080
BUNDLED_NAME    := flowsense-synthetic
BUNDLED_VERSION := 1
model: build
	@test -f $(BUNDLED) || { mkdir -p $(dir $(BUNDLED)) && $(BIN) gen --rows 50000 --seed 1 --out $(BUNDLED); }
	$(BIN) train --data $(BUNDLED) --out $(MODEL_DIR) --name $(BUNDLED_NAME) --model-version $(BUNDLED_VERSION)
run: model
	@echo "open $(MODEL_DIR)/report.html in a browser; $(BIN) inspect $(MODEL_DIR) describes the model"
	$(BIN) serve --model $(MODEL_DIR) --sample $(BUNDLED) --explain --addr $(ADDR)

# The web page's pcap extractor (functions/web/pcapwasm built with GOOS=js
# GOARCH=wasm) and Go's wasm_exec.js, committed under functions/web/static:
# run after changing extract/, gopacket or Go, and commit both
# (TestExtractorUpToDate fails until then).
page-extractor:
	$(GO) test -count=1 ./functions/web/ -run '^TestExtractorUpToDate$$' -regen-extractor

vet:
	$(GO) vet ./...

# The Debian packages the tests need (.ci/packages, the one list; .ci/run
# uses it too): installed when missing if run as root, otherwise the exact
# apt-get command is printed and make stops. FLOWSENSE_APT=0 only checks.
deps:
	.ci/deps.sh test

# Static checks on every module: gofmt, go vet (with the browser and
# realdata and rie build tags too), staticcheck, go.mod tidiness, and the 32-bit
# builds (386, arm/v7: func's host builder targets linux/arm/v7).
STATICCHECK_VERSION := v0.6.1
TOOLS_BIN     ?= $(HOME)/.cache/flowsense/bin
STATICCHECK   := $(TOOLS_BIN)/staticcheck-$(STATICCHECK_VERSION)
MODULES       := . deploy deploy/kserve functions/knative
$(STATICCHECK):
	@mkdir -p $(TOOLS_BIN)/.staticcheck
	GOBIN=$(abspath $(TOOLS_BIN))/.staticcheck $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS_BIN)/.staticcheck/staticcheck $@
lint: $(STATICCHECK)
	@bad=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$bad" || { echo "lint: gofmt -l lists:"; echo "$$bad"; exit 1; }
	@for m in $(MODULES); do \
	  echo "lint: $$m: vet, staticcheck, go mod tidy -diff"; \
	  ( cd $$m && $(GO) vet ./... && $(GO) vet -tags 'browser realdata rie' ./... \
	    && $(abspath $(STATICCHECK)) -tags browser,realdata,rie ./... \
	    && $(GO) mod tidy -diff ) || { echo "lint: $$m failed"; exit 1; }; \
	done
	@echo "lint: 32-bit builds (GOARCH=386, GOARCH=arm GOARM=7)"
	GOARCH=386 $(GO) build ./... && GOARCH=arm GOARM=7 $(GO) build ./...
	cd functions/knative && GOARCH=arm GOARM=7 $(GO) build ./...

# Unit, property and browser tests on data the tests generate themselves.
# The browser tests open report.html, the drift page and the function's web
# page in headless Chromium.
test: deps vet
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags browser -run Chromium ./trainer/report/ ./drift/
	$(GO) test -count=1 -tags browser ./functions/web/
	$(GO) test -count=1 -tags firstrun ./internal/firstrun/
	$(MAKE) test-knative

# Real-data checks on $(FLOWSENSE_DATA) (default ../shared/data): readers on
# every file, and the accuracy bars of the trainer and the outlier detector.
test-data:
	.ci/deps.sh test test-data
	@test -d "$(FLOWSENSE_DATA)" || { echo "test-data: $(FLOWSENSE_DATA) not found: set FLOWSENSE_DATA to the shared datasets directory"; exit 2; }
	$(GO) test -count=1 -tags realdata -timeout 30m $$($(GO) list ./... | grep -v -e '/trainer$$' -e '/trainer/outlier$$' -e '/trainer/tune$$')
	@echo "== accuracy and outlier bars, tuning against the defaults (figures logged per dataset and seed) =="
	$(GO) test -count=1 -tags realdata -timeout 30m -v ./trainer ./trainer/outlier ./trainer/tune 2>&1 | grep -v -e '^=== '
	$(GO) test -count=1 -tags 'browser realdata' -run RealData ./functions/web/

# Benchmarks (ratios against baselines run in the same process or script).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -tags realdata ./trainer/... ./extract/
	cd functions/knative && $(GO) test -run '^$$' -bench . -benchmem -count=1 .
	bench/train_vs_sklearn.sh $(BIN)
	bench/extract.sh $(BIN)
	bench/xgb_batch.sh $(BIN)

# A short run of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 15s -fuzzminimizetime 1s $$pkg || exit 1; \
	  done; \
	done
	cd functions/knative && $(GO) test -run '^$$' -fuzz '^FuzzWithoutCustomSections$$' -fuzztime 15s -fuzzminimizetime 1s .

# The Knative function (functions/knative, a Go module of its own named
# "function" as func's build expects; see its README).
knative-model: build
	functions/knative/mkmodel.sh $(BIN) functions/knative/model.wasm
test-knative:
	cd functions/knative && $(GO) vet ./... && $(GO) test -count=1 ./...
# The real knative func CLI v0.44.0 (built once into ~/.cache/flowsense,
# 5-10 min cold) from a clean clone of HEAD: func build --builder host,
# func run --container=false, func invoke (functions/knative/testfunc.sh).
test-func:
	functions/knative/testfunc.sh
# The real AWS Lambda Runtime Interface Emulator in front of the real
# bootstrap: the behaviour suite, SQS, direct and init-failure invocations,
# cold first invocation timed (functions/lambda/internal/awslambda/rie_test.go).
# aws-lambda-rie is installed into ~/.cache/flowsense/bin if absent; the
# version is pinned (what @latest resolved to on 2026-12-03).
RIE_VERSION ?= v0.0.0-20261030222936-bef5c4ba774d
RIE_BIN     ?= $(HOME)/.cache/flowsense/bin/aws-lambda-rie
test-lambda-rie:
	@test -x $(RIE_BIN) || { echo "test-lambda-rie: installing aws-lambda-rie $(RIE_VERSION) into $(dir $(RIE_BIN))"; \
	  GOBIN=$(abspath $(dir $(RIE_BIN))) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION); }
	FLOWSENSE_RIE=$(RIE_BIN) $(GO) test -count=1 -tags rie -v -run RIE ./functions/lambda/internal/awslambda/ | grep -v -E '^\s*(=== (RUN|PAUSE|CONT)|--- PASS)'
# The hostile-input suite (issue 11, internal/hostile): a real flowsense
# serve on loopback under gzip bombs, a 600,000-field object, a million
# columns, a batch at the limit, slow bodies and foreign modules that loop,
# declare 2 GiB or are corrupt, with a one-flow probe's p99 and the peak RSS
# bounded (about 45 s).
test-hostile:
	$(GO) test -count=1 -tags hostile -v ./internal/hostile/ | grep -v -E '^\s*(=== (RUN|PAUSE|CONT))'
# A bounded soak (issue 11): SOAK_DURATION (600) seconds of wrk mixing
# one-flow, 100-flow and CSV requests with 5 % hostile ones, a line every
# 10 s (bench/soak.sh). Not in CI.
bench-soak:
	bench/soak.sh
# Peak RSS and CPU time of whole `flowsense train` processes on 0.1, 1 and 10
# million generated rows of 78 features (bench/train_memory.sh; ROWS to
# choose; the 10-million run takes about 6 GB of disk and half an hour on two
# busy cores). Not in CI.
bench-train-memory: build
	bench/train_memory.sh $(BIN)
# HTTP load on loopback with wrk (apt-get install wrk jq).
bench-wrk:
	bench/wrk.sh
# Instructions per flow of the module's parts under callgrind, then the top tier and the default module against the C reference (apt-get install valgrind gcc).
bench-instructions:
	bench/instructions.sh

# The AWS Lambda bootstrap (provided.al2023) with the trained model embedded:
# functions/lambda/bootstrap.zip, which deploy/lambda/template.yaml deploys.
LAMBDA_ARCH  ?= arm64
LAMBDA_MODEL ?= $(MODEL_DIR)/model.wasm
lambda:
	@test -f $(LAMBDA_MODEL) || { echo "lambda: $(LAMBDA_MODEL) not found: train first (make run) or set LAMBDA_MODEL"; exit 2; }
	cp $(LAMBDA_MODEL) functions/lambda/bundle/model.wasm
	cd functions/lambda && GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bootstrap . && rm -f bootstrap.zip && zip -X -q bootstrap.zip bootstrap

# Deployment: manifests under deploy/ (see deploy/README.md), checked by
# their own Knative and Kubernetes Go types in a module of their own.
.PHONY: test-deploy deploy-knative deploy-eventing deploy-lambda deploy-trainer \
        clean-knative clean-eventing clean-lambda clean-trainer
test-deploy:
	@command -v cfn-lint >/dev/null || { echo "test-deploy: cfn-lint is missing (it is on this machine image; elsewhere pip install cfn-lint, which brings aws-sam-translator)" >&2; exit 1; }
	cfn-lint deploy/lambda/template.yaml deploy/lambda/streams.yaml deploy/lambda/kafka.yaml
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd deploy/kserve && $(GO) vet ./... && $(GO) test -count=1 ./...
deploy-knative:
	kubectl apply -f deploy/knative/service.yaml
deploy-eventing: deploy-knative
	kubectl apply -f deploy/knative/eventing.yaml
deploy-lambda: lambda
	sam deploy --template-file deploy/lambda/template.yaml --guided
deploy-trainer:
	kubectl apply -f deploy/trainer/job.yaml
clean-knative:
	kubectl delete -f deploy/knative/service.yaml --ignore-not-found
clean-eventing:
	kubectl delete -f deploy/knative/eventing.yaml --ignore-not-found
clean-lambda:
	sam delete --stack-name $${STACK:-flowsense}
clean-trainer:
	kubectl delete -f deploy/trainer/job.yaml --ignore-not-found

clean:
	rm -rf bin out functions/lambda/bootstrap functions/lambda/bootstrap.zip functions/lambda/bundle/model.wasm
