@platform @negative
Feature: Refusing malformed settings
  As an operator
  I want the server to refuse to start with a setting it cannot understand
  So that a typo never leaves me with a platform that behaves differently than I asked

  A malformed flag or environment variable stops the server at once with
  exit status 2 and one line on stderr that names both spellings of the setting.
  Where both are given, the flag wins.

  Scenario Outline: The server does not start with <setting> set to "<value>"
    When I start the server with <setting> set to "<value>"
    Then it stops with exit status 2 and one error line naming "<flag>" and "<variable>"

    Examples: Flags
      | setting           | value | flag              | variable                |
      | --response-delay  | abc   | --response-delay  | TRADING_RESPONSE_DELAY  |
      | --response-delay  | 2,1   | --response-delay  | TRADING_RESPONSE_DELAY  |
      | --execution-delay | 1,x   | --execution-delay | TRADING_EXECUTION_DELAY |
      | --cors-origins    | localhost:3000 | --cors-origins | TRADING_CORS_ORIGINS |
      | --control-token   | two words | --control-token | TRADING_CONTROL_TOKEN |

    Examples: Environment variables
      | setting                 | value | flag              | variable                |
      | TRADING_PORT            | x     | --port            | TRADING_PORT            |
      | TRADING_EXECUTION_DELAY | 3,2   | --execution-delay | TRADING_EXECUTION_DELAY |
      | TRADING_CORS_ORIGINS    | http://localhost:3000/app | --cors-origins | TRADING_CORS_ORIGINS |
      | TRADING_CONTROL_TOKEN   | with space | --control-token | TRADING_CONTROL_TOKEN |

  @timing
  Scenario: A flag wins over its environment variable
    When I start the server with --response-delay "0,0" while TRADING_RESPONSE_DELAY is "abc"
    Then that server places an order without any response delay
