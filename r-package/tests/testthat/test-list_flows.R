test_that("list_flows() names the flows with a run in the namespace, sorted", {
  local_client_project()
  expect_identical(list_flows(), c("ClientFlow", "FailingFlow"))
})
