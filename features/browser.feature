@browser
Feature: Trading from a web browser
  As the developer of a web trading client, or anyone who watches orders move
  I want pages on other origins to use the platform, and a page that shows its orders live
  So that a front end can trade against the platform, and a demo needs no log reading

  These scenarios drive a real, headless Chromium; they are skipped when none
  is installed (CHROMIUM names it when `chromium` is not on the PATH). The
  web page on another origin is served from a second local port. The live
  order page's scenarios run on a platform of their own, so that the page
  shows only their orders; their screenshots land in reports/screenshots/.

  @cors
  Scenario: A web page on another origin places an order
    Given a web page on another origin
    When the page places an order for 10 of "EURUSD"
    Then the page is told the order is confirmed as pending, and where to find it

  @cors
  Scenario: A web page on another origin reads and cancels an order
    Given a web page on another origin has placed an order for 5 of "GBPUSD"
    When the page cancels the order
    Then the page is told the cancellation is accepted
    And the page reads the order as cancelled
    And the page finds the order in the list of all orders

  @cors @websocket
  Scenario: A web page on another origin receives the feed
    Given a web page on another origin is watching the order feed
    When I place an order for 3 of "USDJPY"
    Then the page is told the order is pending, then executed

  @cors @platform @negative
  Scenario: A platform that allows no other origin refuses a web page on another origin
    Given a platform started with --cors-origins "none"
    And a web page on another origin
    When the page tries to place an order for 10 of "EURUSD"
    Then the browser does not let the page place it
    And the browser does not let the page watch the order feed
    And no order was placed

  @platform
  Scenario: The live order page shows a new order as pending, then executed, without a reload
    Given the live order page is open
    When I place an order for 10 of "EURUSD"
    Then the live page shows the order as pending
    And then as executed, without being reloaded
    And the live page counts 1 executed, 0 pending and 0 cancelled

  @platform
  Scenario: Placing an order on the live order page
    Given the live order page is open
    When I place an order for 7 of "AUDUSD" on the live page
    Then the live page shows the order as pending
    And the platform has the order as it was placed on the page

  @platform
  Scenario: Cancelling an order on the live order page
    Given the live order page is open
    And I have placed an order for 4 of "NZDUSD"
    When I cancel the order on the live page
    Then the live page shows the order as cancelled
    And the order reads back as cancelled

  @platform
  Scenario: The live order page keeps up with a burst of 100 orders
    Given the live order page is open
    When I place 100 orders at the same moment
    Then every order is confirmed as pending
    And the live page shows every one of them within moments of its confirmation
    And once they are executed, the live page counts 100 executed, 0 pending and 0 cancelled

  @platform
  Scenario: The live order page reconnects by itself when the platform restarts
    Given the live order page is open
    And I have placed an order for 2 of "EURCHF"
    When the platform stops
    Then the live page says it is reconnecting
    When the platform starts again
    Then the live page says it is live again
    And an order placed now appears on the live page
