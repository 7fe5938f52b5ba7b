@platform
Feature: A platform left running keeps a bounded number of orders
  As an operator of a platform shared by many teams for weeks
  I want it to forget its oldest finished orders past a limit
  So that its memory stays flat however long it runs

  The limit is set with --max-orders. Finished orders (executed or
  cancelled) are forgotten oldest first; a pending order never is.

  Scenario: Past the limit, the oldest finished orders are forgotten
    Given a platform of my own that keeps at most 3 orders and executes them at once
    And I have placed 3 orders there, all executed now
    When I place 2 more orders there
    Then looking up either of the 2 oldest orders, I am told there is no such order
    And the order list holds the 3 newest orders and no other

  Scenario: A pending order is never forgotten, however many there are
    Given a platform of my own that keeps at most 2 orders and executes them only after a minute
    When I place 3 orders there
    Then all 3 orders read back as pending
    And the order list holds all 3 orders

  Scenario: An order is forgotten as soon as it is final, when the platform is over its limit
    Given a platform of my own that keeps at most 2 orders and executes them only after a minute
    And I have placed 3 orders there
    When I cancel the first of them
    Then looking it up, I am told there is no such order
    And the order list holds the other 2 orders
