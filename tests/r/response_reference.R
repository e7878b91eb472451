# Expected values for duration of response (Kaplan-Meier among responders) and time to response,
# computed with R survival 3.5.x on tests/fixtures/response_dor.csv (synthetic responders).
# Run from the repository root:  Rscript tests/r/response_reference.R
# Writes tests/fixtures/response_dor_r.csv; the Python tests read it, so CI needs no R.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5")
d <- read.csv("tests/fixtures/response_dor.csv", comment.char = "#", stringsAsFactors = FALSE)
num <- function(x) format(x, digits = 17)
rows <- list()
for (method in c("log-log", "log", "plain")) {
  for (arm in sort(unique(d$arm))) {
    s <- d[d$arm == arm, ]
    fit <- survfit(Surv(dor_months, dor_event) ~ 1, data = s, conf.type = method)
    q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
    ttr <- quantile(s$ttr_months, probs = c(0.5, 0.25, 0.75), type = 7, names = FALSE)
    rows[[length(rows) + 1]] <- data.frame(
      ci_method = method, arm = arm, responders = nrow(s), dor_events = sum(s$dor_event),
      dor_median = num(q$quantile[["50"]]), dor_median_lower = num(q$lower[["50"]]),
      dor_median_upper = num(q$upper[["50"]]), dor_q25 = num(q$quantile[["25"]]),
      dor_q75 = num(q$quantile[["75"]]), ttr_median = num(ttr[1]), ttr_q25 = num(ttr[2]),
      ttr_q75 = num(ttr[3]), ttr_min = num(min(s$ttr_months)), ttr_max = num(max(s$ttr_months)))
  }
}
out <- do.call(rbind, rows)
out[out == "NA"] <- ""
write.csv(out, "tests/fixtures/response_dor_r.csv", row.names = FALSE, na = "")
