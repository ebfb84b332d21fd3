#!/usr/bin/env bash
# Benchmarks Intuka on this machine and prints one table (stdout; progress on
# stderr). Brings up its own private stack (MariaDB + intukad + lighttpd) in a
# temporary directory on free loopback ports, generates the data in bulk with
# SQL, drives it with wrk, and removes everything it started when it ends.
#
#   bench/run.sh                default: 10 s per scenario, 10k/100k/1M rows
#   bench/run.sh --quick        5 s per scenario, 10k rows only
#   bench/run.sh --duration S   seconds per scenario (warm-up not included)
#   bench/run.sh --connections N  concurrent connections (default 32)
#   bench/run.sh --keep         keep the temporary directory (logs, wrk output)
#   bench/run.sh --rounds N     rounds of the interleaved (c) / peers block (default 3)
#   bench/run.sh --profile      also profile the workers during (c) with perf (top functions)
#   bench/run.sh --cluster      only (c) and (f), on the single-node stack and then on
#                               deploy/cluster.sh's cluster (2 web nodes, 3 Galera nodes),
#                               side by side: what certification costs (2 cores show no scaling)
#
# Environment: INTUKA_STACK_WORKERS (intukad workers, default 4).
#
# Needs what deploy/run.sh needs, plus wrk (installed from Debian when missing
# and running as root). Not run by CI. What each figure means: bench/README.md.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(cd "$BENCH_DIR/../deploy" && pwd)"
# shellcheck source=deploy/lib/common.sh
source "$DEPLOY_DIR/lib/common.sh"
# shellcheck source=deploy/lib/deps.sh
source "$DEPLOY_DIR/lib/deps.sh"
# shellcheck source=deploy/lib/build.sh
source "$DEPLOY_DIR/lib/build.sh"
# shellcheck source=deploy/lib/mariadb.sh
source "$DEPLOY_DIR/lib/mariadb.sh"
# Every login comes from 127.0.0.1: the per-address login limit goes to its
# maximum so the login scenario measures logins, not 429s.
export INTUKA_STACK_LOGIN_ADDRESS_LIMIT=1000000
# shellcheck source=deploy/lib/stack.sh
source "$DEPLOY_DIR/lib/stack.sh"
# shellcheck source=bench/peers/peers.sh
source "$BENCH_DIR/peers/peers.sh"
# shellcheck source=deploy/lib/galera.sh
source "$DEPLOY_DIR/lib/galera.sh"

# ---------------------------------------------------------------- settings

QUICK=0
CLUSTER=0
PROFILE=0
PROFILE_REPORT=""
# Rounds of the interleaved block: (c), the C peer, the PHP peer, in turn.
ROUNDS=3
DURATION_S=10
WARMUP_S=2
CONNECTIONS=32
THREADS=2
KEEP=0
# Requests of the worker memory check (RSS before and after).
MEMORY_REQUESTS=100000
# Rows per measured tenant: label and count.
SIZE_LABELS=(10k 100k 1M)
SIZE_ROWS=(10000 100000 1000000)
# 100 tenants in all: the four bench-* tenants below and this many neighbours,
# each with NEIGHBOUR_ROWS leads.
NEIGHBOURS=96
NEIGHBOUR_ROWS=1000
# Products of each measured tenant (as many as its leads) and of each
# neighbour, for the search scenarios.
NEIGHBOUR_PRODUCTS=1000
# Search bodies: a narrow query (a model number: 20 products at every size)
# and a broad one (two common words: about 1 product in 240 has both).
SEARCH_NARROW='{"text":"m137","limit":10}'
SEARCH_BROAD='{"text":"wireless headphones","limit":10}'
# Users per measured tenant; requests rotate over their tokens (and over as
# many secret keys for the search scenarios).
USERS_PER_TENANT=4
# Rows per INSERT ... SELECT when generating leads.
BATCH_ROWS=250000
# MariaDB sizing for the bench data (the test stack's 64 MiB / 16 MiB are
# meant for a few hundred rows): the whole data set fits in memory, as it
# would on a server sized for it, and the redo log does not force a
# checkpoint every few thousand rows while generating.
BUFFER_POOL_BYTES=$((1024 * 1024 * 1024))
REDO_LOG_BYTES=$((512 * 1024 * 1024))
LUA_SCRIPT="$BENCH_DIR/wrk/requests.lua"
DURATION_ARG=""

usage() {
	sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while (($# > 0)); do
	case "$1" in
	--quick)
		QUICK=1
		DURATION_S=5
		WARMUP_S=1
		MEMORY_REQUESTS=20000
		SIZE_LABELS=(10k)
		SIZE_ROWS=(10000)
		;;
	--duration)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--duration needs a number of seconds"
		DURATION_ARG="$2"
		shift
		;;
	--connections)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--connections needs a number"
		CONNECTIONS="$2"
		shift
		;;
	--keep) KEEP=1 ;;
	--profile) PROFILE=1 ;;
	--cluster) CLUSTER=1 ;;
	--rounds)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a number"
		ROUNDS="$2"
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 64
		;;
	esac
	shift
done
[[ -z "$DURATION_ARG" ]] || DURATION_S="$DURATION_ARG"
((CONNECTIONS >= THREADS)) || THREADS="$CONNECTIONS"

BENCH_ROOT=""
DB_DIR=""
STATE=""
WORK=""
WRK_PID=""
BENCH_PASSWORD=""
PORT=""
REINDEX_SECONDS=0

# ---------------------------------------------------------------- cleanup

bench_cleanup() {
	local rc=$?
	trap - EXIT
	if [[ -n "$WRK_PID" ]] && proc_matches "$WRK_PID" wrk; then
		kill -INT "$WRK_PID" 2>/dev/null || true
		proc_wait_gone "$WRK_PID" 5 || kill -KILL "$WRK_PID" 2>/dev/null || true
	fi
	if ((rc != 0)) && [[ -n "$STATE" && -d "$STATE" ]]; then
		show_log_tails "$STATE/intukad.log" "$STATE/lighttpd/error.log" "$DB_DIR/error.log"
	fi
	peers_stop || true
	if [[ -n "$BENCH_ROOT" && -d "$BENCH_ROOT/cluster" ]]; then
		INTUKA_CLUSTER_DIR="$BENCH_ROOT/cluster" "$DEPLOY_DIR/cluster.sh" stop >&2 || true
	fi
	if [[ -n "$STATE" && -d "$STATE" ]]; then
		stack_down "$STATE" || true
	fi
	if [[ -n "$DB_DIR" && -d "$DB_DIR" ]]; then
		mariadb_stop "$DB_DIR" || true
	fi
	if [[ -n "$BENCH_ROOT" && -d "$BENCH_ROOT" ]]; then
		# The database alone is 600 MiB with the default sizes: kept only
		# on request, even after a failure (the log tails are above).
		if ((KEEP)); then
			log "kept for inspection: $BENCH_ROOT"
		else
			rm -rf "$BENCH_ROOT"
		fi
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- stack

# The stack's configuration, tuned for load: every limit still counts (one
# rate-counter write per request, as in production) but none refuses; workers
# are not recycled (the memory check must see the same processes, and a
# respawn would show up as noise); tokens outlive the run. The log level
# stays "info": one access line per request is part of the measured cost.
eval "$(declare -f stack_write_config | sed '1s/^stack_write_config /bench_base_stack_write_config /')"
stack_write_config() {
	local conf="$1" key value
	bench_base_stack_write_config "$@" || return 1
	local -A tuned=(
		[rate_limit_per_minute]=1000000
		[login_rate_limit]=100000
		[login_address_rate_limit]=1000000
		[max_requests_per_worker]=0
		[access_token_ttl_s]=7200
		[log_level]=info
	)
	for key in "${!tuned[@]}"; do
		value="${tuned[$key]}"
		grep -q "^$key = " "$conf" || { log "no '$key' line in $conf"; return 1; }
		sed -i "s|^$key = .*|$key = $value|" "$conf"
	done
}

bench_require_tools() {
	deps_ensure
	peers_require_tools
	if ! command -v wrk >/dev/null 2>&1; then
		((EUID == 0)) || die "wrk is not installed (apt-get install wrk)"
		log "installing wrk"
		deps_apt_install wrk || die "apt-get install wrk failed"
	fi
}

bench_sql() {
	mariadb_sql "$DB_DIR" "$INTUKA_DB_NAME" "$@"
}

bench_stack_up() {
	BENCH_ROOT=$(mktemp -d /var/tmp/intuka-bench.XXXXXX)
	chmod 0711 "$BENCH_ROOT"
	DB_DIR="$BENCH_ROOT/mariadb"
	STATE="$BENCH_ROOT/stack"
	WORK="$BENCH_ROOT/work"
	mkdir -p "$WORK/req"
	mariadb_start "$DB_DIR"
	mariadb_sql "$DB_DIR" -e "SET GLOBAL innodb_buffer_pool_size = $BUFFER_POOL_BYTES;
		SET GLOBAL innodb_log_file_size = $REDO_LOG_BYTES;"
	mariadb_setup_app "$DB_DIR" "$BENCH_ROOT/secrets.conf" >/dev/null
	PORT=$(port_find_free)
	stack_up lighttpd "$STATE" "$PORT" "$BENCH_ROOT/secrets.conf" "$(cat "$DB_DIR/port")" >&2 ||
		die "the stack did not start (logs in $BENCH_ROOT)"
}

# ---------------------------------------------------------------- data

# Leads for tenant ID, numbered FROM..TO, in batches. Deterministic values,
# spread over names, companies, sources and statuses like real data, one
# created_at per 20 s so the default order (created_at DESC, id DESC) is a
# real index order.
bench_generate_leads() {
	local tenant_id="$1" owner="$2" from="$3" to="$4" low high
	for ((low = from; low <= to; low += BATCH_ROWS)); do
		high=$((low + BATCH_ROWS - 1))
		((high <= to)) || high=$to
		bench_sql -e "
			INSERT INTO sales_leads (tenant_id, first_name, last_name, company, email, phone, source, status,
			                         owner_user_id, notes, created_by, created_at)
			SELECT $tenant_id,
			       ELT(1 + seq % 12, 'Olivia', 'Noah', 'Amelia', 'Leo', 'Isla', 'Oliver', 'Ava', 'Arthur', 'Mia',
			           'Muhammad', 'Ivy', 'Harry'),
			       CONCAT(ELT(1 + (seq * 5) % 12, 'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans',
			           'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Walker'), '-', seq % 997),
			       CONCAT(ELT(1 + seq % 9, 'Bright', 'Blue', 'Green', 'Silver', 'Rapid', 'Clear', 'Prime', 'Open',
			           'True'), ' ', ELT(1 + (seq DIV 9) % 7, 'Systems', 'Kitchens', 'Motors', 'Studios', 'Farms',
			           'Clinics', 'Partners'), ' ', seq % 101),
			       CONCAT('lead', seq, '@t', $tenant_id, '.example.test'),
			       CONCAT('+44 113 496 ', LPAD(seq % 10000, 4, '0')),
			       ELT(1 + seq % 5, 'website', 'referral', 'trade show', 'cold call', 'newsletter'),
			       ELT(1 + seq % 10, 'new', 'new', 'new', 'contacted', 'contacted', 'contacted', 'qualified',
			           'qualified', 'lost', 'new'),
			       $owner, '', $owner, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 20 SECOND
			FROM seq_${low}_to_${high};"
	done
}

# Products for tenant ID, numbered FROM..TO, in batches, with their facet
# terms. Names combine 12 adjectives, 20 nouns and a model number shared by
# 20 products ("Wireless Headphones m137"), so a model number matches 20
# products at every size and a common word matches a fixed share.
bench_generate_products() {
	local tenant_id="$1" rows="$2" workspace="$3" low high models
	models=$((rows / 20 > 0 ? rows / 20 : 1))
	for ((low = 1; low <= rows; low += BATCH_ROWS)); do
		high=$((low + BATCH_ROWS - 1))
		((high <= rows)) || high=$rows
		# search_doc is the product's search number, as migration 0011
		# numbers existing rows (bench_doc below); the postings are written
		# afterwards by intuka-admin find-reindex, as an operator would after
		# loading rows with SQL.
		bench_sql -e "
			INSERT INTO find_products (tenant_id, workspace, product_id, search_doc, name, content, excerpt, sku, price,
			                           regular_price, on_sale, stock_status, status, categories_text, tags_text,
			                           brands_text, document)
			SELECT $tenant_id, '$workspace', p.id, bench_doc(p.n), p.name, p.content, '', p.sku, p.price, p.price,
			       p.on_sale, p.stock, 'publish', p.category, '', p.brand,
			       JSON_OBJECT('id', p.id, 'name', p.name, 'content', p.content, 'sku', p.sku, 'price', p.price,
			                   'on_sale', p.on_sale = 1, 'stock_status', p.stock, 'categories', JSON_ARRAY(p.category),
			                   'brands', JSON_ARRAY(p.brand), 'status', 'publish')
			FROM (SELECT seq AS n, CONCAT('p', seq) AS id,
			             CONCAT(ELT(1 + seq % 12, 'Wireless', 'Compact', 'Classic', 'Rugged', 'Smart', 'Portable',
			                 'Deluxe', 'Eco', 'Pro', 'Mini', 'Ultra', 'Vintage'), ' ',
			                 ELT(1 + (seq DIV 12) % 20, 'Headphones', 'Lantern', 'Kettle', 'Backpack', 'Speaker',
			                 'Jacket', 'Blender', 'Camera', 'Tent', 'Watch', 'Lamp', 'Drill', 'Mug', 'Chair',
			                 'Bicycle', 'Keyboard', 'Monitor', 'Sneakers', 'Umbrella', 'Toaster'),
			                 ' m', seq % $models) AS name,
			             CONCAT('Everyday model m', seq % $models, ' built strong') AS content,
			             CONCAT('SKU ', seq) AS sku, (seq % 500) + 0.99 AS price, seq % 7 = 0 AS on_sale,
			             IF(seq % 13 = 0, 'outofstock', 'instock') AS stock,
			             ELT(1 + seq % 8, 'Audio', 'Outdoor', 'Kitchen', 'Travel', 'Clothing', 'Tools', 'Home',
			                 'Electronics') AS category,
			             ELT(1 + seq % 6, 'Acme', 'Globex', 'Initech', 'Umbra', 'Stark', 'Wayne') AS brand
			      FROM seq_${low}_to_${high}) p;
			INSERT INTO find_terms (tenant_id, entity, workspace, entity_id, facet, term)
			SELECT $tenant_id, 'product', '$workspace', CONCAT('p', seq), 'categories',
			       ELT(1 + seq % 8, 'Audio', 'Outdoor', 'Kitchen', 'Travel', 'Clothing', 'Tools', 'Home', 'Electronics')
			FROM seq_${low}_to_${high}
			UNION ALL
			SELECT $tenant_id, 'product', '$workspace', CONCAT('p', seq), 'brands',
			       ELT(1 + seq % 6, 'Acme', 'Globex', 'Initech', 'Umbra', 'Stark', 'Wayne')
			FROM seq_${low}_to_${high};"
	done
}

# bench_doc(n) for the INSERTs above: the search number of the n-th product
# of a tenant, the same 32-bit mix as find_index_doc_number() and migration
# 0011 (xor-shifts and odd multipliers: no two products of a tenant share one).
bench_define_doc_numbers() {
	bench_sql -e "
		DROP FUNCTION IF EXISTS bench_mix;
		CREATE FUNCTION bench_mix(x BIGINT UNSIGNED, s INT, m BIGINT UNSIGNED) RETURNS BIGINT UNSIGNED DETERMINISTIC
		RETURN ((x ^ (x >> s)) * m) & 4294967295;
		DROP FUNCTION IF EXISTS bench_doc;
		CREATE FUNCTION bench_doc(n BIGINT UNSIGNED) RETURNS INT UNSIGNED DETERMINISTIC
		RETURN bench_mix(bench_mix(n, 16, 2146121005), 15, 2221713035)
		       ^ (bench_mix(bench_mix(n, 16, 2146121005), 15, 2221713035) >> 16);"
}

bench_tenant_id() {
	bench_sql -e "SELECT tenant_id FROM tenants WHERE slug = '$1'"
}

bench_user_id() {
	bench_sql -e "SELECT user_id FROM users WHERE tenant_id = $1 AND email = '$2'"
}

# Tenants bench-<size> (measured lists), bench-writes (logins and creates)
# and NEIGHBOURS others with NEIGHBOUR_ROWS leads each: 100 tenants.
bench_seed() {
	local conf slug tenant_id owner i started
	conf=$(cat "$STATE/config")
	BENCH_PASSWORD="bench-$(openssl rand -hex 12)"
	started=$SECONDS
	for slug in bench-10k bench-100k bench-1m bench-writes; do
		intuka_admin -c "$conf" tenant create "$slug" "Bench $slug" >/dev/null
		# One PBKDF2 per tenant here; the other users copy the hash below.
		intuka_run env INTUKA_USER_PASSWORD="$BENCH_PASSWORD" \
			"$INTUKA_ADMIN_BIN" -c "$conf" user create "$slug" "user1@$slug.test" --name "Bench User 1" \
			--role tenant_admin </dev/null >/dev/null
		tenant_id=$(bench_tenant_id "$slug")
		for ((i = 2; i <= USERS_PER_TENANT; i++)); do
			bench_sql -e "INSERT INTO users (tenant_id, email, display_name, password_hash, profile_id)
				SELECT tenant_id, 'user$i@$slug.test', 'Bench User $i', password_hash, profile_id
				FROM users WHERE tenant_id = $tenant_id AND email = 'user1@$slug.test'"
		done
	done
	bench_sql -e "INSERT INTO tenants (slug, name)
		SELECT CONCAT('bench-n', LPAD(seq, 2, '0')), CONCAT('Neighbour ', seq) FROM seq_1_to_$NEIGHBOURS"
	# migrate gives every tenant its built-in roles, the neighbours included.
	intuka_admin -c "$conf" migrate >/dev/null
	log "generating leads: $NEIGHBOURS neighbour tenants x $NEIGHBOUR_ROWS"
	bench_sql -e "
		INSERT INTO sales_leads (tenant_id, first_name, last_name, company, email, source, status, created_at)
		SELECT t.tenant_id, 'Nia', CONCAT('Neighbour-', s.seq % 97), CONCAT('Next Door ', s.seq % 31),
		       CONCAT('n', s.seq, '@t', t.tenant_id, '.example.test'), 'website', 'new',
		       TIMESTAMP'2024-01-01 00:00:00' + INTERVAL s.seq * 60 SECOND
		FROM tenants t JOIN seq_1_to_$NEIGHBOUR_ROWS s
		WHERE t.slug LIKE 'bench-n%'"
	for i in "${!SIZE_LABELS[@]}"; do
		slug="${MEASURED_SLUGS[$i]}"
		tenant_id=$(bench_tenant_id "$slug")
		owner=$(bench_user_id "$tenant_id" "user1@$slug.test")
		log "generating leads: $slug, ${SIZE_ROWS[$i]} rows"
		bench_generate_leads "$tenant_id" "$owner" 1 "${SIZE_ROWS[$i]}"
	done
	log "generating products: $NEIGHBOURS neighbour tenants x $NEIGHBOUR_PRODUCTS"
	bench_define_doc_numbers
	for tenant_id in $(bench_sql -e "SELECT tenant_id FROM tenants WHERE slug LIKE 'bench-n%' ORDER BY tenant_id"); do
		bench_generate_products "$tenant_id" "$NEIGHBOUR_PRODUCTS" shop
	done
	for i in "${!SIZE_LABELS[@]}"; do
		slug="${MEASURED_SLUGS[$i]}"
		tenant_id=$(bench_tenant_id "$slug")
		log "generating products: $slug, ${SIZE_ROWS[$i]} rows"
		bench_generate_products "$tenant_id" "${SIZE_ROWS[$i]}" shop
		# Searches are measured, not refused: no quota, no rate limit in the way.
		intuka_admin -c "$conf" find-plan set "$slug" business --search-quota 2000000000 \
			--rate-per-minute 2000000000 --rate-per-hour 2000000000 >/dev/null
	done
	# Unfiltered list totals come from resource_counts: bulk rows must count.
	bench_sql -e "INSERT INTO resource_counts (tenant_id, resource, live_rows)
		SELECT tenant_id, 'leads', COUNT(*) FROM sales_leads WHERE deleted_at IS NULL GROUP BY tenant_id
		ON DUPLICATE KEY UPDATE live_rows = VALUES(live_rows);
		INSERT INTO resource_counts (tenant_id, resource, live_rows)
		SELECT tenant_id, 'find.products', COUNT(*) FROM find_products GROUP BY tenant_id
		ON DUPLICATE KEY UPDATE live_rows = VALUES(live_rows);
		DROP FUNCTION IF EXISTS bench_doc;
		DROP FUNCTION IF EXISTS bench_mix;" >/dev/null
	# The search index of every product, as after a load by SQL.
	log "indexing products: intuka-admin find-reindex"
	local reindex_started=$SECONDS
	intuka_admin -c "$conf" find-reindex >"$WORK/reindex.out" || die "find-reindex failed"
	REINDEX_SECONDS=$((SECONDS - reindex_started))
	bench_sql -e "ANALYZE TABLE sales_leads, find_products, find_terms, find_search_terms, find_search_postings" >/dev/null
	SEED_SECONDS=$((SECONDS - started))
	DATA_SUMMARY=$(bench_sql -e "
		SELECT CONCAT((SELECT COUNT(*) FROM tenants), ' tenants, ',
		              (SELECT COUNT(*) FROM sales_leads), ' leads, sales_leads ',
		              ROUND((data_length + index_length) / 1048576), ' MiB (data + indexes), ',
		              (SELECT COUNT(*) FROM find_products), ' products')
		FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'sales_leads'")
	log "data ready in ${SEED_SECONDS}s: $DATA_SUMMARY"
}

# Prints an access token for EMAIL of tenant SLUG.
bench_login() {
	local slug="$1" email="$2" body token
	body=$(curl -sS --max-time 30 -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"$BENCH_PASSWORD\",\"tenantSlug\":\"$slug\"}" \
		"http://127.0.0.1:$PORT/api/v1/auth/login") || die "login of $email failed"
	token=$(printf '%s' "$body" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
	[[ -n "$token" ]] || die "login of $email: no access token in: $body"
	printf '%s\n' "$token"
}

# Writes WORK/req/NAME.tsv: one line per user of tenant SLUG for
# METHOD PATH [BODY] (see bench/wrk/requests.lua).
bench_request_file() {
	local name="$1" slug="$2" method="$3" path="$4" body="${5:-}" i
	: >"$WORK/req/$name.tsv"
	for ((i = 1; i <= USERS_PER_TENANT; i++)); do
		printf '%s\t%s\t%s\t%s\n' "$method" "$path" "${TOKENS[$slug:$i]}" "$body" >>"$WORK/req/$name.tsv"
	done
}

declare -A TOKENS=()
declare -A SEARCH_KEYS=()

# Prints a new secret find API key of tenant SLUG, made with user I's token.
bench_secret_key() {
	local slug="$1" i="$2" body key
	body=$(curl -sS --max-time 30 -H 'Content-Type: application/json' -H "Authorization: Bearer ${TOKENS[$slug:$i]}" \
		-d "{\"label\":\"bench $i\",\"keyType\":\"secret\"}" \
		"http://127.0.0.1:$PORT/api/v1/find/provision/keys") || die "key creation for $slug failed"
	key=$(printf '%s' "$body" | sed -n 's/.*"key":"\(if_sk_[A-Za-z0-9]*\)".*/\1/p')
	[[ -n "$key" ]] || die "key creation for $slug: no key in: $body"
	printf '%s\n' "$key"
}

# Writes WORK/req/NAME.tsv: a search BODY of tenant SLUG, once per secret key.
bench_search_file() {
	local name="$1" slug="$2" body="$3" i
	: >"$WORK/req/$name.tsv"
	for ((i = 1; i <= USERS_PER_TENANT; i++)); do
		printf 'POST\t/api/v1/find/products/search\t%s\t%s\n' "${SEARCH_KEYS[$slug:$i]}" "$body" >>"$WORK/req/$name.tsv"
	done
}
CREATE_BODY='{"firstName":"Bench","lastName":"Load","company":"Wrk Ltd","email":"load@example.test","source":"bench","status":"new"}'

bench_prepare_requests() {
	local slug i label
	log "logging in $USERS_PER_TENANT users per tenant"
	for slug in bench-writes "${MEASURED_SLUGS[@]}"; do
		for ((i = 1; i <= USERS_PER_TENANT; i++)); do
			TOKENS[$slug:$i]=$(bench_login "$slug" "user$i@$slug.test")
		done
	done
	for slug in "${MEASURED_SLUGS[@]}"; do
		for ((i = 1; i <= USERS_PER_TENANT; i++)); do
			SEARCH_KEYS[$slug:$i]=$(bench_secret_key "$slug" "$i")
		done
	done
	printf 'GET\t/static.txt\t\t\n' >"$WORK/req/static.tsv"
	printf 'GET\t/api/v1/version\t\t\n' >"$WORK/req/version.tsv"
	bench_request_file list bench-10k GET '/api/v1/sales/leads?page=2&limit=25'
	bench_search_file search bench-10k "$SEARCH_BROAD"
	: >"$WORK/req/login.tsv"
	for ((i = 1; i <= USERS_PER_TENANT; i++)); do
		printf 'POST\t/api/v1/auth/login\t\t{"email":"user%d@bench-writes.test","password":"%s","tenantSlug":"bench-writes"}\n' \
			"$i" "$BENCH_PASSWORD" >>"$WORK/req/login.tsv"
	done
	bench_request_file create bench-writes POST /api/v1/sales/leads "$CREATE_BODY"
	for i in "${!SIZE_LABELS[@]}"; do
		label="${SIZE_LABELS[$i]}"
		slug="${MEASURED_SLUGS[$i]}"
		bench_request_file "scale-$label-p2" "$slug" GET '/api/v1/sales/leads?page=2&limit=25'
		bench_request_file "scale-$label-p1000" "$slug" GET '/api/v1/sales/leads?page=1000&limit=10'
		bench_search_file "search-$label-narrow" "$slug" "$SEARCH_NARROW"
		bench_search_file "search-$label-broad" "$slug" "$SEARCH_BROAD"
	done
	# The memory check: a mix of routes and outcomes (lists at several pages,
	# a filtered and sorted list, one record, a create, the caller's profile,
	# the version, and 400, 401 and 404 answers).
	local first_id
	first_id=$(bench_sql -e "SELECT MIN(lead_id) FROM sales_leads WHERE tenant_id = $(bench_tenant_id bench-10k)")
	{
		for i in 1 2 3 4; do
			printf 'GET\t/api/v1/sales/leads?page=%d&limit=25\t%s\t\n' "$i" "${TOKENS[bench-10k:$i]}"
		done
		printf 'GET\t/api/v1/sales/leads?limit=10&sortBy=lastName&sortOrder=asc&status=qualified\t%s\t\n' \
			"${TOKENS[bench-10k:1]}"
		printf 'GET\t/api/v1/sales/leads/%s\t%s\t\n' "$first_id" "${TOKENS[bench-10k:2]}"
		printf 'POST\t/api/v1/sales/leads\t%s\t%s\n' "${TOKENS[bench-writes:1]}" "$CREATE_BODY"
		printf 'GET\t/api/v1/auth/me\t%s\t\n' "${TOKENS[bench-10k:3]}"
		printf 'GET\t/api/v1/version\t\t\n'
		printf 'GET\t/api/v1/version\t\t\n'
		printf 'GET\t/api/v1/sales/leads?page=abc\t%s\t\n' "${TOKENS[bench-10k:4]}"
		printf 'GET\t/api/v1/sales/leads\t\t\n'
		printf 'GET\t/api/v1/no/such/route\t%s\t\n' "${TOKENS[bench-10k:1]}"
		printf 'GET\t/api/v1/sales/leads\t%s\t\n' "not.a.token"
	} >"$WORK/req/mix.tsv"
}

# ---------------------------------------------------------------- measuring

# Prints "questions rows_read fsyncs" from MariaDB's global status: statements
# received, rows the server read (index entries included), and fsync calls
# (each durable commit flushes the redo log once; group commit shares one).
bench_db_status() {
	mariadb_sql "$DB_DIR" -e "SHOW GLOBAL STATUS WHERE Variable_name IN
		('Questions', 'Rows_read', 'Innodb_data_fsyncs')" |
		awk '{ v[$1] = $2 } END { printf "%d %d %d\n", v["Questions"], v["Rows_read"], v["Innodb_data_fsyncs"] }'
}

# Prints the bytes of intukad.log written between offsets FROM and TO.
bench_log_slice() {
	local from="$1" to="$2"
	tail -c +"$((from + 1))" "$STATE/intukad.log" | head -c "$((to - from))"
}

bench_log_size() {
	stat -c %s "$STATE/intukad.log"
}

# Reads access lines on stdin; prints "lines sum_round_trips min max errors"
# (errors: status >= 400).
bench_access_stats() {
	awk '
		/"type":"access"/ {
			n++
			if (match($0, /"dbRoundTrips":[0-9]+/)) {
				v = substr($0, RSTART + 15, RLENGTH - 15) + 0
				sum += v
				if (n == 1 || v < min) min = v
				if (v > max) max = v
			}
			if (match($0, /"status":[0-9]+/) && substr($0, RSTART + 9, RLENGTH - 9) + 0 >= 400) bad++
		}
		END { printf "%d %d %d %d %d\n", n, sum, min, max, bad }'
}

# One wrk run on this stack. In the background with "wait": bash runs the
# INT/TERM trap at once during "wait", but only after a foreground command
# has finished (and not at all for SIGINT if that command survived it).
bench_wrk() {
	local connections="$1" duration="$2" requests="$3" rc=0
	BENCH_REQUESTS="$requests" wrk -t "$THREADS" -c "$connections" -d "${duration}s" --timeout 10s \
		-s "$LUA_SCRIPT" "http://127.0.0.1:${BENCH_TARGET_PORT:-$PORT}" &
	WRK_PID=$!
	wait "$WRK_PID" || rc=$?
	WRK_PID=""
	return "$rc"
}

declare -A RESULT=()
CLOCK_TICKS=$(getconf CLK_TCK 2>/dev/null || printf '100')

# CPU time (clock ticks, user + system, all threads) of the given pids, summed.
bench_ticks() {
	local pid files=()
	for pid in "$@"; do
		[[ -r "/proc/$pid/stat" ]] && files+=("/proc/$pid/stat")
	done
	((${#files[@]} > 0)) || { printf '0\n'; return 0; }
	awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); n += f[12] + f[13] } END { print n + 0 }' \
		"${files[@]}" 2>/dev/null || printf '0\n'
}

# Prints "mariadbd intukad lighttpd machine" CPU ticks so far: the private
# MariaDB, the intukad master and workers, lighttpd, and the whole machine
# (busy time of all CPUs; "other" = machine - these - wrk: kernel threads
# doing the disk I/O, and whatever else runs on this shared machine).
bench_cpu_snapshot() {
	local master app web
	case "${BENCH_APP:-intukad}" in
	intukad)
		master=$(intukad_pid "$STATE")
		# shellcheck disable=SC2046 # one argument per pid
		app=$(bench_ticks "$master" $(bench_worker_pids "$master"))
		web=$(web_pid "$STATE")
		;;
	*)
		# shellcheck disable=SC2046 # one argument per pid
		app=$(bench_ticks $(peers_app_pids "${BENCH_APP#peer-}"))
		web=$(cat "$PEER_DIR/lighttpd.pid")
		;;
	esac
	printf '%s %s %s %s\n' "$(bench_ticks "$(mariadb_pid "$DB_DIR")")" "$app" "$(bench_ticks "$web")" \
		"$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)"
}

# Clock ticks of the children this shell has reaped, from the output of the
# "times" builtin in FILE (second line: children's user and system time).
bench_children_ticks() {
	awk -v hz="$CLOCK_TICKS" 'NR == 2 {
		n = 0
		for (i = 1; i <= 2; i++) { split($i, t, "m"); sub(/s$/, "", t[2]); n += (t[1] * 60 + t[2]) * hz }
		printf "%d\n", n + 0.5 }' "$1"
}

# Runs scenario ID with CONNECTIONS on request file NAME: warm-up, then the
# measured run; stores its figures in RESULT[ID:field].
bench_scenario() {
	local id="$1" connections="$2" name="$3" requests="$WORK/req/$3.tsv"
	local log_from log_to db_from db_to cpu_from cpu_to line
	log "scenario $id: $connections connections, ${WARMUP_S}s warm-up + ${DURATION_S}s ($name)"
	bench_wrk "$connections" "$WARMUP_S" "$requests" >"$WORK/wrk-$id-warmup.out" 2>&1 ||
		die "wrk failed in the warm-up of $id: $(cat "$WORK/wrk-$id-warmup.out")"
	sleep 0.5
	log_from=$(bench_log_size)
	db_from=$(bench_db_status)
	cpu_from=$(bench_cpu_snapshot)
	# wrk's own CPU: "times" around it, in this shell (a subshell has no
	# reaped children).
	times >"$WORK/times-from"
	bench_wrk "$connections" "$DURATION_S" "$requests" >"$WORK/wrk-$id.out" 2>&1 ||
		die "wrk failed in $id: $(cat "$WORK/wrk-$id.out")"
	times >"$WORK/times-to"
	cpu_to=$(bench_cpu_snapshot)
	# Workers write the access line just after the response: let the last
	# requests of the run reach the log.
	sleep 0.5
	log_to=$(bench_log_size)
	db_to=$(bench_db_status)
	line=$(grep '^BENCH ' "$WORK/wrk-$id.out" | tail -n 1) || die "no BENCH line from wrk in $id"
	RESULT[$id:conns]=$connections
	RESULT[$id:wrk]="$line"
	RESULT[$id:access]=$(bench_log_slice "$log_from" "$log_to" | bench_access_stats)
	RESULT[$id:db]="$db_from $db_to"
	RESULT[$id:cpu]="$cpu_from $cpu_to $(($(bench_children_ticks "$WORK/times-to") - $(bench_children_ticks "$WORK/times-from")))"
}

# CPU microseconds per request of scenario ID, by process, as one table row,
# then how many CPUs, on average, were busy with anything else meanwhile
# (kernel threads, and the other users of this shared machine).
bench_cpu_row() {
	local id="$1" label="$2"
	[[ -n "${RESULT[$id:wrk]:-}" ]] || return 0
	awk -v label="$label" -v cpu="${RESULT[$id:cpu]}" -v hz="$CLOCK_TICKS" \
		-v n="$(bench_field "${RESULT[$id:wrk]}" requests)" \
		-v seconds="$(bench_field "${RESULT[$id:wrk]}" duration_us)" '
		BEGIN {
			split(cpu, c, " ")
			us = 1e6 / hz / (n > 0 ? n : 1)
			seconds /= 1e6
			m = c[5] - c[1]; w = c[6] - c[2]; l = c[7] - c[3]; all = c[8] - c[4]; k = c[9]
			printf "%-46s %9.0f %9.0f %9.0f %9.0f %9.0f %9.2f\n", label, m * us, w * us, l * us, k * us,
				(m + w + l + k) * us, (all - m - w - l - k) / hz / (seconds > 0 ? seconds : 1)
		}'
}

# Field NAME (requests, p50_us, ...) of a BENCH line.
bench_field() {
	local line="$1" name="$2"
	printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$name=//p"
}

# The figures of scenario ID as "rps p50_ms p99_ms" (for ratios and targets).
bench_figures() {
	local line="${RESULT[$1:wrk]}"
	awk -v r="$(bench_field "$line" requests)" -v d="$(bench_field "$line" duration_us)" \
		-v p50="$(bench_field "$line" p50_us)" -v p99="$(bench_field "$line" p99_us)" \
		'BEGIN { printf "%.1f %.2f %.2f\n", r / (d / 1e6), p50 / 1000, p99 / 1000 }'
}

# One table row for scenario ID with LABEL.
bench_row() {
	local id="$1" label="$2" line rps p50 p99 errors access db
	if [[ -z "${RESULT[$id:wrk]:-}" ]]; then
		printf '%-46s %5s  %s\n' "$label" "-" "not measured"
		return
	fi
	line="${RESULT[$id:wrk]}"
	read -r rps p50 p99 < <(bench_figures "$id")
	errors=0
	for field in connect read write status timeout; do
		errors=$((errors + $(bench_field "$line" "$field")))
	done
	access="${RESULT[$id:access]}"
	db="${RESULT[$id:db]}"
	awk -v label="$label" -v conns="${RESULT[$id:conns]}" -v rps="$rps" -v p50="$p50" -v p99="$p99" \
		-v errors="$errors" -v access="$access" -v db="$db" -v requests="$(bench_field "$line" requests)" '
		BEGIN {
			split(access, a, " "); split(db, d, " ")
			lines = a[1]
			# Peers write no access lines: their server-wide figures are per wrk request.
			n = lines > 0 ? lines : requests
			rt = "-"; range = "-"; q = "-"; rows = "-"; fs = "-"
			if (lines > 0) {
				rt = sprintf("%.2f", a[2] / lines)
				range = (a[3] == a[4]) ? a[3] : a[3] "-" a[4]
			}
			if (n > 0) {
				q = sprintf("%.2f", (d[4] - d[1]) / n)
				rows = sprintf("%.0f", (d[5] - d[2]) / n)
				fs = sprintf("%.2f", (d[6] - d[3]) / n)
			}
			printf "%-46s %5d %9.1f %8.2f %8.2f %7s %6s %7s %8s %7s %6d\n",
				label, conns, rps, p50, p99, rt, range, q, rows, fs, errors + (lines > 0 ? a[5] : 0)
		}'
}

bench_header_row() {
	printf '%-46s %5s %9s %8s %8s %7s %6s %7s %8s %7s %6s\n' \
		"$1" conns "req/s" "p50 ms" "p99 ms" "rt/req" "rt" "q/req" "rows/req" "fs/req" errors
}

# ---------------------------------------------------------------- memory

# Pids of the intukad master's children (the workers), sorted. The kernel
# lists a process's children in /proc/PID/task/PID/children; without that
# file, one awk reads the parent pid of every process.
bench_worker_pids() {
	local master="$1" children="/proc/$1/task/$1/children"
	if [[ -r "$children" ]]; then
		tr ' ' '\n' <"$children" | { grep . || true; } | sort -n
	else
		awk -v master="$master" 'FNR == 1 {
			s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
			if (f[2] == master) { split(FILENAME, p, "/"); print p[3] }
		}' /proc/[0-9]*/stat 2>/dev/null | sort -n
	fi
}

bench_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || printf '?\n'
}

MEMORY_REPORT=""
MEMORY_MAX_GROWTH_KB=0
MEMORY_SERVED=0
MEMORY_SAME_PIDS=1

bench_memory() {
	local master pids_before pids_after pid log_from log_to last_size size idle=0 per_thread
	local -A rss_before=() served=()
	master=$(intukad_pid "$STATE")
	log "memory: warm-up with the mix, then $MEMORY_REQUESTS requests"
	bench_wrk "$CONNECTIONS" 3 "$WORK/req/mix.tsv" >"$WORK/wrk-memory-warmup.out" 2>&1 ||
		die "wrk failed in the memory warm-up"
	sleep 0.5
	pids_before=$(bench_worker_pids "$master")
	for pid in $pids_before; do
		rss_before[$pid]=$(bench_rss_kb "$pid")
	done
	log_from=$(bench_log_size)
	per_thread=$(((MEMORY_REQUESTS + THREADS - 1) / THREADS))
	BENCH_REQUESTS="$WORK/req/mix.tsv" BENCH_STOP_AFTER="$per_thread" \
		wrk -t "$THREADS" -c "$CONNECTIONS" -d 600s --timeout 10s -s "$LUA_SCRIPT" \
		"http://127.0.0.1:$PORT" >"$WORK/wrk-memory.out" 2>&1 &
	WRK_PID=$!
	# wrk waits for its whole -d even after its threads stopped: interrupt it
	# once the log has not grown for 2 s.
	last_size=$log_from
	while proc_alive "$WRK_PID"; do
		sleep 0.5
		size=$(bench_log_size)
		if ((size == last_size && size > log_from)); then
			idle=$((idle + 1))
			((idle < 4)) || kill -INT "$WRK_PID" 2>/dev/null || true
		else
			idle=0
		fi
		last_size=$size
	done
	wait "$WRK_PID" 2>/dev/null || true
	WRK_PID=""
	log_to=$(bench_log_size)
	pids_after=$(bench_worker_pids "$master")
	[[ "$pids_before" == "$pids_after" ]] || MEMORY_SAME_PIDS=0
	while read -r pid count; do
		served[$pid]=$count
		MEMORY_SERVED=$((MEMORY_SERVED + count))
	done < <(bench_log_slice "$log_from" "$log_to" | awk '
		/"type":"access"/ && match($0, /"pid":[0-9]+/) { n[substr($0, RSTART + 6, RLENGTH - 6)]++ }
		END { for (p in n) print p, n[p] }')
	local report after growth
	report=$(printf '%-10s %10s %12s %12s %10s' "worker pid" requests "VmRSS before" "VmRSS after" "growth")
	for pid in $pids_before; do
		after=$(bench_rss_kb "$pid")
		growth="?"
		if [[ "$after" =~ ^[0-9]+$ && "${rss_before[$pid]}" =~ ^[0-9]+$ ]]; then
			growth=$((after - rss_before[$pid]))
			if ((growth > MEMORY_MAX_GROWTH_KB)); then
				MEMORY_MAX_GROWTH_KB=$growth
			fi
		fi
		report+=$'\n'$(printf '%-10s %10s %9s kB %9s kB %7s kB' "$pid" "${served[$pid]:-0}" "${rss_before[$pid]}" \
			"$after" "$growth")
	done
	MEMORY_REPORT="$report"
}

# ---------------------------------------------------------------- evidence

# Statements of one list request, and EXPLAIN of the list query, taken from
# MariaDB's general log (it records each Execute with its values filled in).
# General log lines ("[date time]<TAB>  <connection id> <command><TAB><text>",
# the time only on the first line of each second) as "id<TAB>command<TAB>text".
bench_general_log_lines() {
	sed -nE 's/^[^\t]*\t+ *([0-9]+) ([A-Za-z_ ]+)\t(.*)$/\1\t\2\t\3/p'
}

bench_any_alive() {
	local pid
	for pid in "$@"; do
		if proc_alive "$pid"; then
			return 0
		fi
	done
	return 1
}

EVIDENCE=""
bench_evidence() {
	local general="$WORK/general.log" big_slug big_label sql explain split_line master old_pids pids tries i
	big_label="${SIZE_LABELS[-1]}"
	big_slug="${MEASURED_SLUGS[-1]}"
	master=$(intukad_pid "$STATE")
	old_pids=$(bench_worker_pids "$master")
	mariadb_sql "$DB_DIR" -e "SET GLOBAL general_log_file = '$general'; SET GLOBAL general_log = 1;"
	# MariaDB logs an Execute with its values only for statements prepared
	# while the log was on: a reload (SIGHUP) gives fresh workers, whose
	# connections and statements start now.
	kill -HUP "$master"
	for ((tries = 0; tries < 100; tries++)); do
		sleep 0.1
		pids=$(bench_worker_pids "$master")
		# shellcheck disable=SC2086 # one argument per pid
		if ! bench_any_alive $old_pids && (($(printf '%s' "$pids" | grep -c .) == INTUKA_STACK_WORKERS)); then
			break
		fi
	done
	for ((i = 0; i < 12; i++)); do
		curl -sS -o /dev/null -H "Authorization: Bearer ${TOKENS[bench-10k:1]}" \
			"http://127.0.0.1:$PORT/api/v1/sales/leads?page=2&limit=25"
	done
	sleep 0.3
	split_line=$(wc -l <"$general")
	curl -sS -o /dev/null -H "Authorization: Bearer ${TOKENS[$big_slug:1]}" \
		"http://127.0.0.1:$PORT/api/v1/sales/leads?page=1000&limit=10"
	sleep 0.3
	mariadb_sql "$DB_DIR" -e "SET GLOBAL general_log = 0;"
	# Lines: "[time]<TAB>   <connection id> <command><TAB><argument>". The last
	# (c) request is the lines of the last worker connection that read
	# sales_leads, after its previous request's read of it up to its last:
	# other connections (the embedding process polling its queue, the
	# webhook deliverer) are left out.
	EVIDENCE="Statements of one (c) request (a warm worker), from MariaDB's general log:"$'\n'
	EVIDENCE+=$(head -n "$split_line" "$general" | bench_general_log_lines | awk -F '\t' '
		{ n[$1]++; text[$1, n[$1]] = "  " $2 ": " $3 }
		$2 == "Execute" && index($3, "sales_leads") { previous[$1] = latest[$1]; latest[$1] = n[$1]; last = $1 }
		END { for (i = previous[last] + 1; i <= latest[last]; i++) print substr(text[last, i], 1, 160) }')
	EVIDENCE+=$'\n'
	sql=$(tail -n +"$((split_line + 1))" "$general" | bench_general_log_lines |
		awk -F '\t' '$2 == "Execute" && index($3, "FROM sales_leads r JOIN") { print $3; exit }')
	if [[ -n "$sql" ]]; then
		EVIDENCE+=$'\n'"EXPLAIN of the list query, $big_label tenant, page=1000&limit=10 (offset 9990):"$'\n'
		explain=$(bench_sql --column-names -e "EXPLAIN $sql" 2>&1)
		EVIDENCE+=$(printf '%s\n' "$explain" |
			awk -F '\t' '{ printf "  %-3s %-9s %-11s %-6s %-20s %8s  %s\n", $1, $2, $3, $4, $6, $9, $10 }')
		EVIDENCE+=$'\n'
		if printf '%s\n' "$explain" | awk -F '\t' '$2 == "DERIVED" && $10 !~ /Using index/ { found = 1 } END { exit !found }'; then
			EVIDENCE+="The page of ids (DERIVED) is not read from the index alone (no \"Using index\"): every"$'\n'
			EVIDENCE+="entry it skips costs a clustered-index lookup, because the optional filters"$'\n'
			EVIDENCE+="(\"? IS NULL OR email = ?\" ...) name columns outside the index. See bench/README.md."$'\n'
		fi
	fi
}

# ---------------------------------------------------------------- peers

# (c) and the two peers in turn, ROUNDS times: each round measures the three
# within a minute of each other, so a noisy moment of the machine hits all
# three. (c) is the round with the median req/s of (c).
bench_peers_block() {
	local round
	peers_start "$INTUKA_STACK_WORKERS"
	peers_prepare_requests
	peers_check
	for ((round = 1; round <= ROUNDS; round++)); do
		bench_scenario "c-r$round" "$CONNECTIONS" list
		BENCH_TARGET_PORT=$PEER_PORT BENCH_APP=peer-c bench_scenario "peer-c-r$round" "$CONNECTIONS" peer-c
		BENCH_TARGET_PORT=$PEER_PORT BENCH_APP=peer-php bench_scenario "peer-php-r$round" "$CONNECTIONS" peer-php
	done
	bench_alias_median c c
	bench_alias_median peer-c peer-c
	bench_alias_median peer-php peer-php
	((PROFILE)) && bench_profile list
	return 0
}

# perf over intukad's workers while wrk sends request file NAME: where a
# worker's CPU goes, by function (children included), for the report.
bench_profile() {
	local name="$1" master pids
	command -v perf >/dev/null 2>&1 || deps_apt_install linux-perf >&2 || die "perf is not available"
	master=$(intukad_pid "$STATE")
	pids=$(bench_worker_pids "$master" | paste -sd, -)
	log "profiling the workers ($pids) for ${DURATION_S}s of $name"
	local load
	bench_wrk "$CONNECTIONS" "$((DURATION_S + 2))" "$WORK/req/$name.tsv" >"$WORK/wrk-profile.out" 2>&1 &
	load=$!
	sleep 1
	perf record -q -g -F 999 -p "$pids" -o "$WORK/perf.data" -- sleep "$DURATION_S" >/dev/null 2>&1 ||
		die "perf record failed"
	# Only this job: the stack's daemons are this shell's children too.
	wait "$load" || true
	PROFILE_REPORT=$(perf report -i "$WORK/perf.data" --stdio --no-children --sort symbol --percent-limit 1.5 \
		-g none 2>/dev/null | grep -E '^ +[0-9]' | head -n 30)
}

# Stores under ID the figures of the round of PREFIX-rN with the median req/s.
bench_alias_median() {
	local id="$1" prefix="$2" round field best
	best=$(for ((round = 1; round <= ROUNDS; round++)); do
		printf '%s %d\n' "$(bench_figures "$prefix-r$round" | cut -d ' ' -f 1)" "$round"
	done | sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2 }')
	for field in conns wrk access db cpu; do
		RESULT[$id:$field]="${RESULT[$prefix-r$best:$field]}"
	done
	RESULT[$id:round]=$best
}

# req/s of every round of PREFIX, as "a / b / c".
bench_rounds_text() {
	local prefix="$1" round text=""
	for ((round = 1; round <= ROUNDS; round++)); do
		text+="${text:+ / }$(bench_figures "$prefix-r$round" | cut -d ' ' -f 1)"
	done
	printf '%s' "$text"
}

# ---------------------------------------------------------------- report

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

# "met" or "NOT met" for an awk condition such as "0.52 >= 0.60".
bench_verdict() {
	if awk "BEGIN { exit !($1) }"; then printf 'met'; else printf 'NOT met'; fi
}

bench_report() {
	local model rps_b rps_c rps_d p99_c p50_10k p50_big p99_10k p99_big ratio i label kind
	model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
	printf '\nIntuka benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'machine: %s CPUs (%s), %s MiB RAM, load average at start %s\n' "$(nproc)" "$model" \
		"$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" "$LOAD_AT_START"
	printf 'commit %s; %s; %s; %s\n' "$(git -C "$INTUKA_REPO" rev-parse --short HEAD 2>/dev/null || printf '?')" \
		"$(mariadbd --version | awk '{ print $2, $3 }' | sed 's/ for.*//')" "$(lighttpd -v 2>&1 | head -n 1 | awk '{ print $1 }')" \
		"wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null || printf '?')"
	printf 'intukad: %s workers, log_level info (one access line per request); wrk: %s threads, %ss per scenario after %ss warm-up\n' \
		"$INTUKA_STACK_WORKERS" "$THREADS" "$DURATION_S" "$WARMUP_S"
	printf 'data: %s; generated in %ss (search index: %ss)%s\n\n' "$DATA_SUMMARY" "$SEED_SECONDS" "$REINDEX_SECONDS" \
		"$( ((QUICK)) && printf '; --quick: 10k rows only, short runs')"

	bench_header_row "Same lighttpd, same intukad"
	bench_row a "(a) GET /static.txt (lighttpd static file)"
	bench_row b "(b) GET /api/v1/version (FastCGI, no db)"
	bench_row c "(c) GET /sales/leads?page=2&limit=25 (JWT)"
	bench_row d "(d) POST /find/products/search (secret key)"
	bench_row e "(e) POST /api/v1/auth/login (Argon2id)"
	bench_row f "(f) POST /api/v1/sales/leads (create)"
	read -r rps_b _ _ < <(bench_figures b)
	read -r rps_c _ p99_c < <(bench_figures c)
	read -r rps_d _ _ < <(bench_figures d)
	ratio=$(bench_ratio "$rps_c" "$rps_b")
	printf '\n(c)/(b) throughput: %s   (d)/(b) throughput: %s\n' "$ratio" "$(bench_ratio "$rps_d" "$rps_b")"
	printf '(d) searches %s on the 10k tenant (about 42 of its products have both words)\n\n' "$SEARCH_BROAD"

	local rps_peer_c rps_peer_php p99_peer_c p99_peer_php
	bench_header_row "Peers: (c) interleaved, ${ROUNDS} rounds, median"
	bench_row c "(c) Intuka, page 2 (JWT, session, total)"
	bench_row peer-c "C peer: JWT, durable counter, page, no total"
	bench_row peer-php "PHP-FPM + PDO peer: the same work"
	read -r rps_peer_c _ p99_peer_c < <(bench_figures peer-c)
	read -r rps_peer_php _ p99_peer_php < <(bench_figures peer-php)
	printf '\nreq/s by round: (c) %s; C peer %s; PHP peer %s\n' "$(bench_rounds_text c)" \
		"$(bench_rounds_text peer-c)" "$(bench_rounds_text peer-php)"
	printf '(c)/C peer: %s   (c)/PHP peer: %s   (p99: (c) %s ms, C %s ms, PHP %s ms)\n\n' \
		"$(bench_ratio "$rps_c" "$rps_peer_c")" "$(bench_ratio "$rps_c" "$rps_peer_php")" "$p99_c" \
		"$p99_peer_c" "$p99_peer_php"

	bench_header_row "Scale: GET /sales/leads, ${#SIZE_LABELS[@]} size(s), 100 tenants"
	for i in "${!SIZE_LABELS[@]}"; do
		label="${SIZE_LABELS[$i]}"
		bench_row "scale-$label-p2" "$label rows/tenant, page=2&limit=25"
	done
	for i in "${!SIZE_LABELS[@]}"; do
		label="${SIZE_LABELS[$i]}"
		bench_row "scale-$label-p1000" "$label rows/tenant, page=1000&limit=10 (deep)"
	done
	for i in "${!SIZE_LABELS[@]}"; do
		label="${SIZE_LABELS[$i]}"
		bench_row "search-$label-narrow" "$label products, search narrow (20 hits)"
	done
	for i in "${!SIZE_LABELS[@]}"; do
		label="${SIZE_LABELS[$i]}"
		bench_row "search-$label-broad" "$label products, search broad (1/240 hit)"
	done
	printf '\n'
	if ((${#SIZE_LABELS[@]} > 1)); then
		label="${SIZE_LABELS[-1]}"
		read -r _ p50_10k p99_10k < <(bench_figures "scale-10k-p2")
		read -r _ p50_big p99_big < <(bench_figures "scale-$label-p2")
		printf 'page 2:    %s/10k latency ratio p50 %s, p99 %s\n' "$label" "$(bench_ratio "$p50_big" "$p50_10k")" \
			"$(bench_ratio "$p99_big" "$p99_10k")"
		read -r _ p50_10k p99_10k < <(bench_figures "scale-10k-p1000")
		read -r _ p50_big p99_big < <(bench_figures "scale-$label-p1000")
		printf 'page 1000: %s/10k latency ratio p50 %s, p99 %s\n' "$label" "$(bench_ratio "$p50_big" "$p50_10k")" \
			"$(bench_ratio "$p99_big" "$p99_10k")"
		for kind in narrow broad; do
			read -r _ p50_10k p99_10k < <(bench_figures "search-10k-$kind")
			read -r _ p50_big p99_big < <(bench_figures "search-$label-$kind")
			printf 'search %-6s %s/10k latency ratio p50 %s, p99 %s\n' "$kind:" "$label" \
				"$(bench_ratio "$p50_big" "$p50_10k")" "$(bench_ratio "$p99_big" "$p99_10k")"
		done
		printf '\n'
	fi

	printf 'CPU per request, microseconds (user + system, all threads), and other CPU use meanwhile\n'
	printf '%-46s %9s %9s %9s %9s %9s %9s\n' scenario mariadbd "app" lighttpd wrk total "others"
	bench_cpu_row a "(a) static file"
	bench_cpu_row b "(b) version"
	bench_cpu_row c "(c) list page 2"
	bench_cpu_row peer-c "C peer (app column: its processes)"
	bench_cpu_row peer-php "PHP peer (app column: PHP-FPM)"
	bench_cpu_row d "(d) search"
	bench_cpu_row e "(e) login"
	bench_cpu_row f "(f) create"
	for i in "${!SIZE_LABELS[@]}"; do
		label="${SIZE_LABELS[$i]}"
		bench_cpu_row "scale-$label-p2" "$label page 2"
		bench_cpu_row "scale-$label-p1000" "$label page 1000"
		bench_cpu_row "search-$label-narrow" "$label search narrow"
		bench_cpu_row "search-$label-broad" "$label search broad"
	done
	printf '\n'

	printf 'Worker memory: %d requests of a mix of routes and outcomes (target %d)%s\n' "$MEMORY_SERVED" \
		"$MEMORY_REQUESTS" "$( ((MEMORY_SAME_PIDS)) || printf '; WARNING: the set of workers changed')"
	printf '%s\n\n' "$MEMORY_REPORT"

	printf 'Targets\n'
	local peer_ratio
	peer_ratio=$(bench_ratio "$rps_c" "$rps_peer_c")
	printf '  (c) >= 1.0x the C peer:              %s  -> %s\n' "$peer_ratio" "$(bench_verdict "$peer_ratio >= 1.0")"
	peer_ratio=$(bench_ratio "$rps_c" "$rps_peer_php")
	printf '  (c) >= 1.3x the PHP peer:            %s  -> %s\n' "$peer_ratio" "$(bench_verdict "$peer_ratio >= 1.3")"
	printf '  (c) >= 60%% of (b) throughput:        %s  -> %s\n' "$ratio" \
		"$(bench_verdict "$ratio >= 0.60")"
	printf '  p99 of (c) < 10 ms at %s connections: %s ms  -> %s\n' "$CONNECTIONS" "$p99_c" \
		"$(bench_verdict "$p99_c < 10")"
	local scenario p50_s p99_s fewest
	for scenario in c d; do
		read -r _ p50_s p99_s < <(bench_figures "$scenario")
		ratio=$(bench_ratio "$p99_s" "$p50_s")
		printf '  p99 <= 2.5x p50, (%s):                %s  -> %s\n' "$scenario" "$ratio" "$(bench_verdict "$ratio <= 2.5")"
	done
	# The fewest round trips a search made: the others add the batched
	# writes (a search log insert for 8 searches, a lease for a few dozen).
	fewest=$(awk '{ print $3 }' <<<"${RESULT[d:access]:-0 0 99 99 0}")
	printf '  (d) search in <= 2 round trips:      %s (rt/req with batched writes: %s)  -> %s\n' "$fewest" \
		"$(awk '{ printf "%.2f", ($1 > 0 ? $2 / $1 : 0) }' <<<"${RESULT[d:access]:-0 0}")" "$(bench_verdict "$fewest <= 2")"
	if ((${#SIZE_LABELS[@]} > 1)); then
		label="${SIZE_LABELS[-1]}"
		read -r _ p50_10k p99_10k < <(bench_figures "scale-10k-p2")
		read -r _ p50_big p99_big < <(bench_figures "scale-$label-p2")
		ratio=$(bench_ratio "$p50_big" "$p50_10k")
		printf '  list at %s within 2x of 10k (p50):    %s  -> %s\n' "$label" "$ratio" "$(bench_verdict "$ratio <= 2")"
		for kind in narrow broad; do
			read -r _ p50_10k _ < <(bench_figures "search-10k-$kind")
			read -r _ p50_big _ < <(bench_figures "search-$label-$kind")
			ratio=$(bench_ratio "$p50_big" "$p50_10k")
			printf '  search %-6s at %s within 2x (p50): %s  -> %s\n' "$kind" "$label" "$ratio" \
				"$(bench_verdict "$ratio <= 2")"
		done
	else
		printf '  list and search at 1M within 2x of 10k: not measured (--quick)\n'
	fi
	printf '  no worker memory growth:             max %s kB over %s requests  -> %s\n' "$MEMORY_MAX_GROWTH_KB" \
		"$MEMORY_SERVED" "$(bench_verdict "$MEMORY_MAX_GROWTH_KB <= 256 && $MEMORY_SAME_PIDS == 1")"
	if ((PROFILE)); then
		printf '\nProfile of the workers during (c), self time by function (perf, %ss):\n%s\n' "$DURATION_S" \
			"$PROFILE_REPORT"
	fi
	printf '\n%s\n' "$EVIDENCE"
	printf 'Columns: conns = concurrent connections; p50/p99 = wrk latency percentiles; rt/req = MariaDB round\n'
	printf 'trips per request from intukad'"'"'s access lines (rt = min-max seen); q/req, rows/req, fs/req = MariaDB\n'
	printf 'Questions, Rows_read and Innodb_data_fsyncs per request (server-wide deltas); errors = wrk\n'
	printf 'socket errors + non-2xx/3xx responses. others = CPUs busy with anything else during the run\n'
	printf '(kernel threads, other users of the machine). See bench/README.md.\n'
}

# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- --cluster

# The data (c) and (f) need, and nothing else: tenant bench-10k with
# USERS_PER_TENANT users and 10k leads, bench-writes with its users.
bench_seed_slim() {
	local conf slug tenant_id owner i started
	conf=$(cat "$STATE/config")
	started=$SECONDS
	for slug in bench-10k bench-writes; do
		intuka_admin -c "$conf" tenant create "$slug" "Bench $slug" >/dev/null
		intuka_run env INTUKA_USER_PASSWORD="$BENCH_PASSWORD" \
			"$INTUKA_ADMIN_BIN" -c "$conf" user create "$slug" "user1@$slug.test" --name "Bench User 1" \
			--role tenant_admin </dev/null >/dev/null
		tenant_id=$(bench_tenant_id "$slug")
		for ((i = 2; i <= USERS_PER_TENANT; i++)); do
			bench_sql -e "INSERT INTO users (tenant_id, email, display_name, password_hash, profile_id)
				SELECT tenant_id, 'user$i@$slug.test', 'Bench User $i', password_hash, profile_id
				FROM users WHERE tenant_id = $tenant_id AND email = 'user1@$slug.test'"
		done
	done
	tenant_id=$(bench_tenant_id bench-10k)
	owner=$(bench_user_id "$tenant_id" user1@bench-10k.test)
	bench_generate_leads "$tenant_id" "$owner" 1 10000
	bench_sql -e "INSERT INTO resource_counts (tenant_id, resource, live_rows)
		SELECT tenant_id, 'leads', COUNT(*) FROM sales_leads WHERE deleted_at IS NULL GROUP BY tenant_id
		ON DUPLICATE KEY UPDATE live_rows = VALUES(live_rows);
		ANALYZE TABLE sales_leads;" >/dev/null
	SEED_SECONDS=$((SECONDS - started))
}

# WORK/req/list.tsv and create.tsv with tokens of the stack on PORT.
bench_prepare_slim() {
	local slug i
	for slug in bench-10k bench-writes; do
		for ((i = 1; i <= USERS_PER_TENANT; i++)); do
			TOKENS[$slug:$i]=$(bench_login "$slug" "user$i@$slug.test")
		done
	done
	bench_request_file list bench-10k GET '/api/v1/sales/leads?page=2&limit=25'
	bench_request_file create bench-writes POST /api/v1/sales/leads "$CREATE_BODY"
}

# bench_spread ID NAME PORT...: wrk on every port at once, CONNECTIONS shared
# among them, warm-up then DURATION_S; RESULT[ID:spread] = "rps p50_ms
# p99_ms errors" (p50: the mean of the ports' medians; p99: the worst).
bench_spread() {
	local id="$1" name="$2" port phase n=0 out
	shift 2
	local per=$((CONNECTIONS / $#))
	((per >= THREADS)) || per=$THREADS
	for phase in warmup run; do
		local -a pids=()
		for port in "$@"; do
			out="$WORK/spread-$id-$phase-$port.out"
			BENCH_REQUESTS="$WORK/req/$name.tsv" wrk -t "$THREADS" -c "$per" \
				-d "$( [[ $phase == warmup ]] && printf '%s' "$WARMUP_S" || printf '%s' "$DURATION_S")s" \
				--timeout 10s -s "$LUA_SCRIPT" "http://127.0.0.1:$port" >"$out" 2>&1 &
			pids+=($!)
		done
		for n in "${pids[@]}"; do
			wait "$n" || die "wrk failed in $id ($phase)"
		done
		sleep 0.5
	done
	RESULT[$id:spread]=$(for port in "$@"; do grep '^BENCH ' "$WORK/spread-$id-run-$port.out" | tail -n 1; done |
		awk '{
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			rps += v["requests"] / (v["duration_us"] / 1e6); p50 += v["p50_us"]; n++
			if (v["p99_us"] > p99) p99 = v["p99_us"]
			errors += v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"]
		} END { printf "%.1f %.2f %.2f %d\n", rps, p50 / (n ? n : 1) / 1000, p99 / 1000, errors }')
}

bench_spread_row() {
	local label="$1" id="$2" rps p50 p99 errors
	read -r rps p50 p99 errors <<<"${RESULT[$id:spread]:-- - - -}"
	printf '%-58s %5s %9s %8s %8s %6s\n' "$label" "$CONNECTIONS" "$rps" "$p50" "$p99" "$errors"
}

# Sets KEY=VALUE pairs in web node STATE's config and reloads its master.
bench_cluster_reload() {
	local state="$1" conf pair lines
	shift
	conf=$(cat "$state/config")
	for pair in "$@"; do
		sed -i "s|^${pair%%=*} = .*|${pair%%=*} = ${pair#*=}|" "$conf"
	done
	lines=$(wc -l <"$state/intukad.log")
	kill -HUP "$(intukad_pid "$state")"
	wait_until 10 bench_reload_logged "$state" "$lines" || die "web node $state did not reload"
}

bench_reload_logged() {
	tail -n +"$(($2 + 1))" "$1/intukad.log" | grep -q 'configuration reloaded'
}

# (c) and (f) on the single-node stack, then on the cluster: side by side.
bench_cluster_main() {
	local cluster state i single_seed
	bench_stack_up
	BENCH_PASSWORD="bench-$(openssl rand -hex 12)"
	bench_seed_slim
	single_seed=$SEED_SECONDS
	bench_prepare_slim
	bench_spread c-single list "$PORT"
	bench_spread f-single create "$PORT"
	stack_down "$STATE"
	mariadb_stop "$DB_DIR"

	cluster="$BENCH_ROOT/cluster"
	local writers
	# One writer node (both web nodes start their db_hosts with node 1, as
	# deploy/cluster.sh does by default), then two (web node 2 with node 2).
	for writers in 1 2; do
		INTUKA_CLUSTER_WRITERS=$writers INTUKA_CLUSTER_DIR="$cluster" "$DEPLOY_DIR/cluster.sh" start 3 >&2 ||
			die "the cluster did not start"
		# The bench stack's tuning (see stack_write_config above) on both web nodes.
		for i in 1 2; do
			bench_cluster_reload "$cluster/web$i" rate_limit_per_minute=1000000 login_rate_limit=100000 \
				login_address_rate_limit=1000000 max_requests_per_worker=0 access_token_ttl_s=7200
		done
		DB_DIR="$cluster/db1"
		STATE="$cluster/web1"
		PORT=$(cat "$STATE/port")
		bench_seed_slim
		wait_until 60 galera_all_nodes_synced "$cluster" || die "the cluster's nodes did not catch up with the data"
		bench_prepare_slim
		bench_spread "c-cluster-$writers" list "$(cat "$cluster/web1/port")" "$(cat "$cluster/web2/port")"
		bench_spread "f-cluster-$writers" create "$(cat "$cluster/web1/port")" "$(cat "$cluster/web2/port")"
		CONFLICTS[$writers]=$(cat "$cluster"/web*/intukad.log | grep -c 'write conflict' || true)
		INTUKA_CLUSTER_DIR="$cluster" "$DEPLOY_DIR/cluster.sh" stop >&2
	done

	printf '\nIntuka on one node and on a Galera cluster, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'machine: %s CPUs, load average at start %s; commit %s; %s\n' "$(nproc)" "$LOAD_AT_START" \
		"$(git -C "$INTUKA_REPO" rev-parse --short HEAD 2>/dev/null || printf '?')" \
		"$(mariadbd --version | awk '{ print $2, $3 }' | sed 's/ for.*//'), galera-4 $(dpkg-query -W -f='${Version}' galera-4 2>/dev/null)"
	printf 'single node: MariaDB + %s intukad workers + lighttpd; cluster: 3 Galera nodes (64 MiB buffer pools),\n' \
		"$INTUKA_STACK_WORKERS"
	printf '2 web nodes (%s workers + lighttpd each), wrk on both at once; one writer: both web nodes write\n' \
		"$INTUKA_STACK_WORKERS"
	printf 'through database node 1; two writers: web node 2 through node 2 (hot rows then fail certification).\n' 
	printf 'All on these %s cores: the cluster runs 5 servers where one node runs 2, so it shows the cost\n' "$(nproc)"
	printf 'of replication and certification, not scaling. %ss per scenario after %ss warm-up; data seeded in %ss / %ss.\n\n' \
		"$DURATION_S" "$WARMUP_S" "$single_seed" "$SEED_SECONDS"
	printf '%-58s %5s %9s %8s %8s %6s\n' "" conns "req/s" "p50 ms" "p99 ms" errors
	bench_spread_row "(c) GET /sales/leads?page=2&limit=25, single node" c-single
	bench_spread_row "(c) same, cluster, one writer node" c-cluster-1
	bench_spread_row "(c) same, cluster, two writer nodes" c-cluster-2
	bench_spread_row "(f) POST /api/v1/sales/leads, single node" f-single
	bench_spread_row "(f) same, cluster, one writer node" f-cluster-1
	bench_spread_row "(f) same, cluster, two writer nodes" f-cluster-2
	printf '\nweb node log lines about write conflicts (a handler run repeated, or a conflict answered 503):\n'
	printf 'one writer node: %s; two writer nodes: %s. errors: non-2xx answers (503 after the bounded repeats).\n' \
		"${CONFLICTS[1]:-?}" "${CONFLICTS[2]:-?}"
}

declare -A CONFLICTS=()

galera_all_nodes_synced() {
	local dir
	for dir in "$1"/db*; do
		[[ "$(galera_status_value "$dir" wsrep_local_state_comment)" == Synced ]] || return 1
	done
}

main() {
	local i label started
	started=$SECONDS
	LOAD_AT_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
	bench_require_tools
	# A release build, as deploy/run.sh makes.
	# shellcheck disable=SC2119
	build_all >&2
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ((CLUSTER)); then
		bench_cluster_main
		log "done in $((SECONDS - started))s"
		return 0
	fi
	bench_stack_up
	MEASURED_SLUGS=()
	for label in "${SIZE_LABELS[@]}"; do
		MEASURED_SLUGS+=("bench-${label,,}")
	done
	bench_seed
	bench_prepare_requests

	bench_scenario a "$CONNECTIONS" static
	bench_scenario b "$CONNECTIONS" version
	bench_peers_block
	bench_scenario d "$CONNECTIONS" search
	# One login is one Argon2id hash (m=19 MiB, t=2: ~20 ms of a core): with
	# one connection per worker the latency is the cost of a login, not the
	# queue in front of the workers.
	bench_scenario e "$INTUKA_STACK_WORKERS" login
	bench_scenario f "$CONNECTIONS" create
	for label in "${SIZE_LABELS[@]}"; do
		bench_scenario "scale-$label-p2" "$CONNECTIONS" "scale-$label-p2"
	done
	for label in "${SIZE_LABELS[@]}"; do
		bench_scenario "scale-$label-p1000" "$CONNECTIONS" "scale-$label-p1000"
	done
	for label in "${SIZE_LABELS[@]}"; do
		bench_scenario "search-$label-narrow" "$CONNECTIONS" "search-$label-narrow"
		bench_scenario "search-$label-broad" "$CONNECTIONS" "search-$label-broad"
	done
	bench_memory
	bench_evidence
	bench_report
	log "done in $((SECONDS - started))s"
}

main
