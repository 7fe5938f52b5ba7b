@control
Feature: Steering the platform from a client's own tests
  As a developer testing a trading client
  I want my tests to steer the platform while it runs
  So that each test gets the platform behaviour it needs, at the moment it
  needs it, without a restart and without racing the platform's timers

  These scenarios run against a platform that offers test control (it
  lists "control" in its health check; the suite's own platform does), and
  need its control token (TRADING_CONTROL_TOKEN). After each one the
  platform's control state is put back as it was before.

  Scenario: An order is held pending until the test releases it
    Given the platform holds every order pending
    And I am watching the order feed
    And I have placed an order for 10 of "EURUSD"
    When the longest execution delay has passed
    Then the order reads back as pending
    When I have the platform execute the order now
    Then I am given the order as executed
    And the feed reports the order as pending, then executed, exactly once

  Scenario: An order held pending can still be cancelled
    Given the platform holds every order pending
    And I have placed an order for 10 of "EURUSD"
    And the longest execution delay has passed
    When I cancel the order
    Then the cancellation is accepted

  Scenario: Orders held while execution was paused execute as soon as it resumes
    Given the platform holds every order pending
    And I am watching the order feed
    And I have placed an order for 10 of "EURUSD"
    And the longest execution delay has passed
    When the platform resumes executing orders
    Then the feed reports the order executed at once

  Scenario: Executing an order that is already final is refused
    Given the platform holds every order pending
    And I have placed an order for 10 of "EURUSD"
    And I have cancelled the order
    When I have the platform execute the order now
    Then I am told the order is already CANCELLED
    And the order reads back as cancelled

  Scenario: Executing an order the platform does not have is refused
    When I have the platform execute an order that does not exist
    Then I am told there is no such order

  Scenario: A platform that starts failing and recovers, inside one test
    Given I have placed an order for 1 of "BEFORE"
    When the platform starts failing every order request
    And I place an order for 2 of "DURING"
    Then I am told the platform is unavailable and to try again in 1 second
    When the platform recovers
    And I place an order for 3 of "AFTER"
    Then the order is confirmed as pending
    And the platform lists the orders placed before and after the failure, and nothing else

  @timing
  Scenario: The response delay changes for the very next request
    When the platform's response delay is set to none
    Then looking up an order is answered at once
    When the platform's response delay is set back to where it was
    Then the control state is as it was before the scenario

  @sequence
  Scenario: A reset gives the next test a fresh platform
    Given I have placed an order for 10 of "OLD"
    And I am watching the order feed
    When the platform is reset
    Then the platform lists no orders
    And my feed is closed with the code that tells me to resynchronise
    When I watch the order feed again
    And I place an order for 1 of "NEW"
    Then the feed's first event is numbered 1

  Scenario: A reset restores the platform's start-up settings
    Given the platform holds every order pending
    And the platform fails every order request
    When the platform is reset
    Then the control state is as it was before the scenario

  @negative
  Scenario Outline: An invalid change is refused, naming the field, and changes nothing
    When I ask for the control change <body>
    Then I am told the change is invalid, naming "<field>"
    And the control state is as it was before the scenario

    Examples:
      | body                                                     | field          |
      | {"responseDelay": [2, 1]}                                | responseDelay  |
      | {"executionDelay": [-1, 1]}                              | executionDelay |
      | {"executionDelay": "1,2"}                                | executionDelay |
      | {"faults": "error=2"}                                    | faults         |
      | {"executionPaused": "yes"}                               | executionPaused |
      | {"executionPaused": true, "faults": "explode=1"}         | faults         |
      | {"paused": true}                                         | paused         |

  @negative @security
  Scenario Outline: Without the platform's token, a control request is refused and changes nothing
    Given the platform holds every order pending
    And I have placed an order for 10 of "EURUSD"
    When I <operation> with <credentials>
    Then I am told I am not authorized
    And the order reads back as pending
    And the control state is as the test left it

    Examples:
      | operation                       | credentials                  |
      | read the control state          | no token                     |
      | read the control state          | an empty token               |
      | read the control state          | a wrong token                |
      | change the control state        | no token                     |
      | change the control state        | an empty token               |
      | change the control state        | a wrong token                |
      | change the control state        | the token in another scheme  |
      | execute the order now           | no token                     |
      | execute the order now           | an empty token               |
      | execute the order now           | a wrong token                |
      | reset the platform              | no token                     |
      | reset the platform              | an empty token               |
      | reset the platform              | a wrong token                |
      | reset the platform              | the token in another scheme  |
