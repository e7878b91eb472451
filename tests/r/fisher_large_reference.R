# Reference p-values of Fisher's exact test on larger r x c tables (her2rwe issue 12): 2x3, 3x3,
# 3x4 and 2x5 tables of 50 to 1,000 patients, sparse ones, tables with an all-zero row or column,
# and tables for which fisher.test runs out of its default workspace (it is then rerun with
# workspace = 2e8, and the column `workspace` says so).
# Run from the repository root:  Rscript tests/r/fisher_large_reference.R
# Writes tests/fixtures/tables_fisher_large.csv with R 4.2 (stats package only), 17 significant
# digits. Cells are listed row by row.
out <- "tests/fixtures"
g <- function(x) sprintf("%.17g", x)
tabs <- list(
  list("2x3 sparse, n 50", 2, c(1, 20, 3, 0, 24, 2)),
  list("2x3 balanced, n 1000", 2, c(160, 170, 180, 175, 150, 165)),
  list("2x5 balanced, n 1000", 2, c(100, 110, 90, 95, 105, 95, 105, 100, 100, 100)),
  list("2x5 sparse, n 500", 2, c(200, 30, 8, 2, 1, 210, 35, 9, 1, 4)),
  list("2x5 strong association, n 1000", 2, c(150, 120, 100, 80, 50, 60, 90, 100, 120, 130)),
  list("3x3 balanced, n 900", 3, c(100, 120, 80, 90, 110, 100, 95, 105, 100)),
  list("3x3 skewed, n 900", 3, c(300, 20, 5, 250, 30, 8, 270, 12, 5)),
  list("3x3 one small column, n 900", 3, c(7, 123, 247, 7, 50, 106, 9, 120, 231)),
  list("3x3, n 900", 3, c(166, 97, 29, 278, 126, 42, 93, 51, 18)),
  list("3x3 strong association, n 200", 3, c(40, 15, 5, 10, 40, 12, 8, 10, 60)),
  list("3x3 sparse, n 60", 3, c(10, 1, 0, 12, 3, 1, 20, 2, 11)),
  list("3x4, n 900", 3, c(5, 145, 156, 30, 1, 97, 99, 16, 3, 137, 178, 33)),
  list("3x4 sparse, n 900", 3, c(200, 40, 10, 3, 220, 35, 8, 2, 250, 30, 12, 4)),
  list("3x4, n 600", 3, c(0, 42, 105, 24, 4, 49, 111, 40, 4, 53, 124, 44)),
  list("3x4, n 300", 3, c(39, 1, 7, 13, 55, 7, 11, 55, 56, 3, 7, 46)),
  list("3x4 with an all-zero column, n 300", 3, c(40, 30, 0, 20, 35, 25, 0, 30, 50, 40, 0, 30)),
  list("4x3 with an all-zero row, n 136", 4, c(30, 20, 10, 0, 0, 0, 25, 30, 5, 10, 5, 1))
)
rows <- do.call(rbind, lapply(tabs, function(tb) {
  x <- matrix(tb[[3]], nrow = tb[[2]], byrow = TRUE)
  # as table() gives it: an all-zero row or column is not a category of the data
  y <- x[rowSums(x) > 0, colSums(x) > 0, drop = FALSE]
  ws <- 200000
  p <- tryCatch(fisher.test(y)$p.value, error = function(e) NA)
  if (is.na(p)) {
    ws <- 2e8
    p <- fisher.test(y, workspace = ws)$p.value
  }
  data.frame(label = tb[[1]], nrow = nrow(x), ncol = ncol(x),
             cells = paste(as.vector(t(x)), collapse = ";"), fisher_p = g(p), workspace = ws)
}))
write.csv(rows, file.path(out, "tables_fisher_large.csv"), row.names = FALSE, quote = TRUE)
