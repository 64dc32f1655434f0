// The native side of wasm/bench/run.mjs: the same filter + aggregation as the wasm package, on
// the same columnar batch (read from a file the bench wrote), timed the same way. Built by the
// bench with the host compiler at -O3; prints the median time and the aggregation for checking.
//   native_query BATCH_FILE REPEATS BUCKET QUERY_PAIRS...   (QUERY_PAIRS: key=value)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/filter.hpp>
#include <sesami/json_src.hpp>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: native_query BATCH_FILE REPEATS BUCKET [key=value...]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto batch = sesami::decode(bytes);
  if (!batch) {
    std::fprintf(stderr, "%s\n", batch.error().message.c_str());
    return 1;
  }
  const int repeats = std::atoi(argv[2]);
  std::vector<std::string> raw(argv + 4, argv + argc);
  std::vector<sesami::query_param> params;
  for (const auto& p : raw) {
    const auto eq = p.find('=');
    params.emplace_back(std::string_view(p).substr(0, eq), std::string_view(p).substr(eq + 1));
  }
  sesami::aggregate_options options;
  const auto bucket = sesami::parse_bucket(argv[3]);
  if (!bucket) return 2;
  options.bucket = *bucket;

  std::vector<double> ms;
  std::string json;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    // Timed like the wasm call: parse the filter, select, aggregate, write the JSON.
    auto f = sesami::filter_from_query(params);
    if (!f) return 1;
    auto a = sesami::aggregate(*batch, *f, options);
    if (!a) return 1;
    json = sesami::to_json(*a);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%.3f\n%s\n", ms[ms.size() / 2], json.c_str());
}
