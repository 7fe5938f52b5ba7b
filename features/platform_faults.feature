@platform
Feature: Reproducible runs and faults on purpose
  As the developer of a trading client
  I want to replay a run exactly, and to make the platform misbehave when I ask
  So that I can reproduce a flaky test and prove that my client survives
  errors, slow answers and lost connections

  A platform started with a seed makes the same random choices (order ids,
  response delays, execution delays) for the same requests sent one at a
  time. A platform started with faults misbehaves on purpose, each fault
  with the probability given: it refuses an order request with "service
  unavailable" (error), answers late (latency) or drops a feed client's
  connection (disconnect). The health check and the documentation never
  misbehave.

  @timing
  Scenario: Two platforms started with the same seed make the same choices
    Given two platforms started with the same seed
    When I place the same five orders on each, one at a time
    Then both gave the orders the same ids, each a random UUID
    And both confirmed each order after the same delay
    And both executed each order after the same delay

  @negative
  Scenario Outline: With every request failing, <operation> is refused and changes nothing
    Given a platform that fails every order request
    And I am following that platform's feed
    When I <operation> there
    Then I am told the platform is unavailable and to try again in 1 second
    And no order event reaches the feed
    And the platform logs the fault in one line naming my request

    Examples:
      | operation                  |
      | place an order             |
      | list the orders            |
      | look up an order           |
      | cancel an order            |

  @timing
  Scenario: With every request failing, the health check still answers at once
    Given a platform that fails every order request
    When I place an order there
    Then the platform's health check still answers at once

  Scenario: The documentation warns of the refusals
    Given a platform that fails every order request
    When I fetch the OpenAPI document
    Then it is a valid OpenAPI 3 document
    And it describes these operations with their answers:
      | method | path              | statuses                |
      | POST   | /orders           | 201, 400, 413, 415, 503 |
      | GET    | /orders           | 200, 503                |
      | GET    | /orders/{orderId} | 200, 404, 503           |
      | DELETE | /orders/{orderId} | 204, 404, 409, 503      |
    And every refusal it describes tells when to try again

  @timing
  Scenario: With every answer slowed down, each answer takes the spike's length
    Given a platform that delays every order answer by 1.2 seconds
    When I place an order, list the orders, look up the order and cancel it, one after the other
    Then each answer came after 1.2 seconds
    And the platform's health check still answers at once

  @websocket
  Scenario: With every feed event cut off, a feed client is dropped at the first event
    Given a platform that drops feed connections before every event
    And I am following that platform's feed
    When I place an order there
    Then the order is confirmed as pending
    And my feed connection is dropped without a close frame, before any event

  @websocket
  Scenario: The console watcher carries on when its connection drops
    Given a platform that drops feed connections before every event
    And the console watcher is following that platform's feed
    When I place an order there
    Then the watcher says, with the time, that the connection was lost and it will try again
    And the watcher is still running

  @websocket @sequence
  Scenario: The console watcher misses no event when its connection drops now and then
    Given a platform that drops feed connections now and then
    And the console watcher is following that platform's feed
    When I place three orders there, one at a time
    Then the watcher prints each order's pending and executed events exactly once
    And the watcher says, with the time, that the connection was lost and it will try again

  @negative
  Scenario Outline: The platform does not start with the faults "<faults>"
    When I start the server with <setting> set to "<faults>"
    Then it stops with exit status 2 and one error line naming "--faults" and "TRADING_FAULTS"

    Examples:
      | setting        | faults             |
      | --faults       | error=1.5          |
      | --faults       | latency=0.5        |
      | --faults       | disconnect=0.1:3   |
      | --faults       | timeout=0.1        |
      | --faults       | error=0.1,error=0.2 |
      | TRADING_FAULTS | error              |
      | TRADING_FAULTS | latency=1:-2       |

  @negative
  Scenario: The platform does not start with a seed that is not a whole number
    When I start the server with --seed set to "abc"
    Then it stops with exit status 2 and one error line naming "--seed" and "TRADING_SEED"
