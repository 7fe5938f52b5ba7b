@delays
Feature: Realistic response delays
  As the developer of a trading client
  I want every answer about orders to come after a random delay
  So that my client is tested against a latency that varies like a real venue's

  The delay is 0.1–1.0 s by default (or what TRADING_RESPONSE_DELAY says), for
  refusals as well as successes. Each operation is sent five times at once,
  so the five delays are measured side by side.

  Scenario Outline: <operation> answers after a varying response delay
    When I <operation> five times at once
    Then every answer came after the response delay
    And the delays vary from call to call

    Examples: Successes
      | operation            |
      | place an order       |
      | list the orders      |
      | look up an order     |
      | cancel a pending order |

    @negative
    Examples: Refusals
      | operation              |
      | place an invalid order |
      | look up an unknown order |
      | cancel an unknown order  |
